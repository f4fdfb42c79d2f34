// Package hotfolder imports the files that scan-to-folder devices (office multifunction
// printers writing PDF, TIFF or JPEG files into a shared folder) drop into a watched folder.
//
// The folder is polled (portable: local disks and network shares alike). A file is taken only
// when it is complete: its size and modification time have not changed across two polls at
// least StableFor apart, it can be opened, and it decodes. A file that does not decode yet is
// retried (a device may pause while writing); it is set aside as bad only after it has stayed
// unchanged for FailAfter. Imported files are moved into .sohoa-done/, bad ones into
// .sohoa-failed/ with a .txt file giving the reason in Vietnamese and English. A file is never
// stored twice: capture.ImportFiles skips content already in the batch, so a crash between
// the import and the move only leads to the file being moved on the next start.
package hotfolder
