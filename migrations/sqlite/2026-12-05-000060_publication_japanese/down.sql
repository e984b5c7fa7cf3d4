UPDATE publications
SET footnotes = 'Figures are provisional. / 数値は速報値です。' || char(10)
        || 'Amounts are summed per victim account. / 金額は被害口座ごとの合計です。' || char(10)
        || 'Amounts are not customer losses. / 金額は顧客の損失額ではありません。'
WHERE footnotes = 'Figures are provisional.' || char(10)
        || 'Amounts are summed per victim account.' || char(10)
        || 'Amounts are not customer losses.'
  AND footnotes_ja = '数値は速報値です。' || char(10)
        || '金額は被害口座ごとの合計です。' || char(10)
        || '金額は顧客の損失額ではありません。';
ALTER TABLE publications DROP COLUMN footnotes_ja;
ALTER TABLE publications DROP COLUMN title_ja;
