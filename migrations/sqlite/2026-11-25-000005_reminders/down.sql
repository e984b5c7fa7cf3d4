DROP TABLE digest_items;
DROP TABLE digests;
DROP TABLE reminders_sent;
