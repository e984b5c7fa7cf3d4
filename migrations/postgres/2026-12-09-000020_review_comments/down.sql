DROP TABLE review_answers;
DROP TABLE review_comments;
