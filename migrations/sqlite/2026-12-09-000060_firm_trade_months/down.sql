DROP TABLE firm_trade_months;
