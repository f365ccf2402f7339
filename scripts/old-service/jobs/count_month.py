"""count_month: head count per birth month (month name -> count, in calendar order), of records with a birth date."""
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from .kafka_source import KafkaBatch, read_records

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]


def run(spark: SparkSession, batch: KafkaBatch) -> dict:
    rows = (
        read_records(spark, batch)
        .where(F.col("birth_date").isNotNull())
        .groupBy(F.month("birth_date").alias("month"))
        .count()
        .orderBy("month")
        .collect()
    )
    return {MONTH_NAMES[row["month"] - 1]: row["count"] for row in rows}
