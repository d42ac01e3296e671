-- Every stored text is in Unicode Normalization Form C from now on
-- (CheckText), and every e-mail address is compared in that form
-- (NormalizeEmail). SQLite has no NFC function, so the rows stored before
-- are rewritten by the Go step registered for this version
-- (db/text.go, normaliseStoredEmails), in this migration's transaction.
SELECT 1;
