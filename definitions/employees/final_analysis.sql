-- Every record counts once in each dimension: 'all' (value NULL), its gender, its department ('Unknown' when it
-- has none), its birth month and its age band (both NULL without a birth date). One aggregate over
-- (dimension, value) then gives every section's rows in one pass over the records.
WITH aged AS (
  SELECT gender, coalesce(department, 'Unknown') AS department, salary, birth_date,
    -- Age in whole years on :referenceDate: years between, minus one if the birthday has not come yet that year.
    year(:referenceDate) - year(birth_date)
      - CASE WHEN month(birth_date) > month(:referenceDate)
          OR (month(birth_date) = month(:referenceDate) AND day(birth_date) > day(:referenceDate)) THEN 1 ELSE 0 END AS age
  FROM records
),
dimensions AS (
  SELECT salary, birth_date,
    stack(5,
      'all', CAST(NULL AS STRING),
      'gender', gender,
      'department', department,
      'month', CAST(month(birth_date) AS STRING),
      -- The band's index: under 25, 25-34, 35-44, 45-54, 55-64, 65 and over.
      'band', CAST(CASE WHEN age IS NULL THEN NULL WHEN age < 25 THEN 0 WHEN age < 35 THEN 1 WHEN age < 45 THEN 2 WHEN age < 55 THEN 3
                        WHEN age < 65 THEN 4 ELSE 5 END AS STRING)
    ) AS (dimension, value)
  FROM aged
)
SELECT dimension, value,
  count(*) AS count,
  min(salary) AS min_salary,
  round(avg(salary), 2) AS avg_salary,
  max(salary) AS max_salary,
  round(sum(salary), 2) AS total_salary,
  round(stddev_samp(salary), 2) AS stddev_salary,
  round(percentile(salary, 0.5), 2) AS median_salary,
  count(birth_date) AS with_birth_date,
  round(100 * count(*) / sum(count(*)) OVER (PARTITION BY dimension), 2) AS share_pct
FROM dimensions
GROUP BY dimension, value
