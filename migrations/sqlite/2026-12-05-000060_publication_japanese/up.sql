-- Publications in both languages: a Japanese title and Japanese footnotes
-- beside the English ones. Footnotes that are the former default (each line
-- English / Japanese) become the English default and the Japanese default;
-- any other footnotes, and every title, are copied as they are, so an older
-- release shows the same words on its English and Japanese pages. The
-- columns keep their empty default on both backends (SQLite cannot drop
-- one); the portal always writes both.
ALTER TABLE publications ADD COLUMN title_ja TEXT NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN footnotes_ja TEXT NOT NULL DEFAULT '';
UPDATE publications SET title_ja = title, footnotes_ja = footnotes;
UPDATE publications
SET footnotes = 'Figures are provisional.' || char(10)
        || 'Amounts are summed per victim account.' || char(10)
        || 'Amounts are not customer losses.',
    footnotes_ja = '数値は速報値です。' || char(10)
        || '金額は被害口座ごとの合計です。' || char(10)
        || '金額は顧客の損失額ではありません。'
WHERE REPLACE(footnotes, char(13), '') = 'Figures are provisional. / 数値は速報値です。' || char(10)
        || 'Amounts are summed per victim account. / 金額は被害口座ごとの合計です。' || char(10)
        || 'Amounts are not customer losses. / 金額は顧客の損失額ではありません。';
