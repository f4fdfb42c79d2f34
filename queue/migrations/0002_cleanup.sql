-- Image clean-up (deskew, orientation, blank detection, border crop). The original image as
-- captured is always kept: original_sha256 names it, blob_sha256 names the working image
-- (the cleaned one once clean-up has run, else the original).
ALTER TABLE pages ADD COLUMN original_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN cleaned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pages ADD COLUMN skew_deg REAL NOT NULL DEFAULT 0;      -- measured skew of the original
ALTER TABLE pages ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;   -- clockwise degrees applied to make it upright
ALTER TABLE pages ADD COLUMN blank INTEGER NOT NULL DEFAULT 0;      -- detected blank page (kept, flagged)
UPDATE pages SET original_sha256 = blob_sha256 WHERE original_sha256 = '';
