-- Orders, revenue and the average order total per country; orders with a coupon counted apart.
SELECT
  country,
  count(*) AS orders,
  sum(quantity) AS units,
  round(sum(quantity * unit_price), 2) AS revenue,
  round(avg(quantity * unit_price), 2) AS avg_order,
  count(coupon) AS with_coupon
FROM records
WHERE quantity * unit_price >= :min_total
GROUP BY country
