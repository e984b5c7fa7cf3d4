DROP TABLE publication_overrides;
DROP TABLE publications;
