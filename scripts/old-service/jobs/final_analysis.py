"""final_analysis: salary statistics overall, per gender and per department, and head count and average salary per
age band on the reference date. Each section is its own aggregation over the request's records, as a plain job
script would write it (streamforge computes them in one pass; here the records are cached once and aggregated
four times)."""
from datetime import date

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .kafka_source import KafkaBatch, read_records

AGE_BANDS = [(0, "under 25"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65 and over")]


def run(spark: SparkSession, batch: KafkaBatch, reference_date: date) -> dict:
    records = read_records(spark, batch).cache()
    try:
        return {
            "salary": overview(records),
            "salary_by_gender": by_gender(records),
            "salary_by_department": by_department(records),
            "age_bands": age_bands(records, reference_date),
        }
    finally:
        records.unpersist()


def as_dicts(df: DataFrame) -> list:
    return [row.asDict() for row in df.collect()]


def overview(records: DataFrame) -> dict:
    row = records.agg(
        F.count(F.lit(1)).alias("head_count"),
        F.round(F.sum("salary"), 2).alias("total_salary"),
        F.min("salary").alias("min_salary"),
        F.round(F.avg("salary"), 2).alias("avg_salary"),
        F.max("salary").alias("max_salary"),
        F.round(F.stddev_samp("salary"), 2).alias("stddev_salary"),
        F.count("birth_date").alias("with_birth_date"),
    ).first()
    result = row.asDict()
    result["without_birth_date"] = result["head_count"] - result["with_birth_date"]
    return result


def by_gender(records: DataFrame) -> list:
    totals = records.groupBy("gender").agg(
        F.count(F.lit(1)).alias("count"),
        F.min("salary").alias("min_salary"),
        F.round(F.avg("salary"), 2).alias("avg_salary"),
        F.max("salary").alias("max_salary"),
    )
    share = F.round(100 * F.col("count") / F.sum("count").over(Window.partitionBy()), 2)
    return as_dicts(totals.withColumn("share_pct", share).orderBy("gender"))


def by_department(records: DataFrame) -> list:
    totals = (
        records.withColumn("department", F.coalesce(F.col("department"), F.lit("Unknown")))
        .groupBy("department")
        .agg(
            F.count(F.lit(1)).alias("count"),
            F.min("salary").alias("min_salary"),
            F.round(F.avg("salary"), 2).alias("avg_salary"),
            F.round(F.percentile("salary", F.lit(0.5)), 2).alias("median_salary"),
            F.max("salary").alias("max_salary"),
            F.round(F.sum("salary"), 2).alias("total_salary"),
        )
    )
    return as_dicts(totals.orderBy("department"))


def age_bands(records: DataFrame, reference_date: date) -> list:
    ref = F.lit(reference_date)
    birthday_later = (F.month("birth_date") > F.month(ref)) | (
        (F.month("birth_date") == F.month(ref)) & (F.dayofmonth("birth_date") > F.dayofmonth(ref))
    )
    age = F.year(ref) - F.year("birth_date") - F.when(birthday_later, 1).otherwise(0)
    band = F.lit(0)
    for index, (lower, _label) in enumerate(AGE_BANDS[1:], start=1):
        band = F.when(age >= lower, index).otherwise(band)
    labels = F.array(*[F.lit(label) for _lower, label in AGE_BANDS])
    totals = (
        records.where(F.col("birth_date").isNotNull())
        .withColumn("band", band)
        .groupBy("band")
        .agg(F.count(F.lit(1)).alias("count"), F.round(F.avg("salary"), 2).alias("avg_salary"))
        .orderBy("band")
    )
    return as_dicts(totals.select(F.element_at(labels, F.col("band") + 1).alias("age_band"), "count", "avg_salary"))
