-- Trade detail uploaded for a return's draft: the file's metadata and
-- totals, and its rows, until a submission moves them to trade_details.
-- (SQLite keeps the staged rows WITHOUT ROWID: the key is the table, so a
-- bulk upload writes one b-tree, not a table and an index.)
CREATE TABLE trade_uploads (
    return_id INTEGER PRIMARY KEY REFERENCES returns(id),
    file_name TEXT NOT NULL,
    encoding TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    sell_count BIGINT NOT NULL,
    buy_count BIGINT NOT NULL,
    sell_total_jpy BIGINT NOT NULL,
    buy_total_jpy BIGINT NOT NULL,
    sell_domestic_jpy BIGINT NOT NULL,
    sell_china_hk_jpy BIGINT NOT NULL,
    sell_us_jpy BIGINT NOT NULL,
    sell_other_jpy BIGINT NOT NULL,
    buy_domestic_jpy BIGINT NOT NULL,
    buy_china_hk_jpy BIGINT NOT NULL,
    buy_us_jpy BIGINT NOT NULL,
    buy_other_jpy BIGINT NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);

CREATE TABLE draft_trades (
    return_id INTEGER NOT NULL REFERENCES returns(id),
    row_no INTEGER NOT NULL,
    trade_date DATE NOT NULL,
    side TEXT NOT NULL,
    security_code TEXT NOT NULL,
    market TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount_jpy BIGINT NOT NULL,
    account_ref TEXT NOT NULL,
    PRIMARY KEY (return_id, row_no)
) WITHOUT ROWID;
