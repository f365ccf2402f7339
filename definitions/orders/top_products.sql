-- The top_n products by revenue; equal revenue ranks by product name.
SELECT rank, product, orders, revenue
FROM (
  SELECT
    product,
    count(*) AS orders,
    round(sum(quantity * unit_price), 2) AS revenue,
    row_number() OVER (ORDER BY sum(quantity * unit_price) DESC, product) AS rank
  FROM records
  WHERE quantity * unit_price >= :min_total
  GROUP BY product
)
WHERE rank <= :top_n
