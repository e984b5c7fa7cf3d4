DROP TABLE version_details;
