SELECT
  month(birth_date) AS month,
  element_at(array('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
    'November', 'December'), month(birth_date)) AS month_name,
  count(*) AS count
FROM records
WHERE birth_date IS NOT NULL
GROUP BY month(birth_date)
