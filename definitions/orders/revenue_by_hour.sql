-- Revenue per hour of the day the orders were placed, in UTC (the hour as 'YYYY-MM-DD HH:00').
SELECT
  date_format(date_trunc('HOUR', ts), 'yyyy-MM-dd HH:00') AS hour,
  count(*) AS orders,
  round(sum(quantity * unit_price), 2) AS revenue
FROM records
WHERE quantity * unit_price >= :min_total
GROUP BY date_trunc('HOUR', ts)
