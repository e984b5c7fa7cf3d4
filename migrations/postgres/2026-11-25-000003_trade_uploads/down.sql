DROP TABLE draft_trades;
DROP TABLE trade_uploads;
