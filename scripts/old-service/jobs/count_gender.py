"""count_gender: head count per gender."""
from pyspark.sql import SparkSession

from .kafka_source import KafkaBatch, read_records


def run(spark: SparkSession, batch: KafkaBatch) -> dict:
    rows = read_records(spark, batch).groupBy("gender").count().orderBy("gender").collect()
    return {row["gender"]: row["count"] for row in rows}
