-- Per-batch clean-up profile ('' = the default profile, 'none' = no clean-up, else JSON), and
-- a clerk's manual right-angle rotation of a page, applied to the original before clean-up.
ALTER TABLE batches ADD COLUMN cleanup TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN user_rotation INTEGER NOT NULL DEFAULT 0;
