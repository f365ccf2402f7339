"""Reading one request's records back from Kafka with PySpark: a batch read of exactly the offsets the request wrote,
parsed with the employee schema. Every job reads its own copy, as the old service's separate job scripts did."""
import json
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, LongType, StringType, StructField, StructType

RECORD_SCHEMA = StructType(
    [
        StructField("id", LongType()),
        StructField("name", StringType()),
        StructField("gender", StringType()),
        StructField("salary", DoubleType()),
        StructField("birth_date", DateType()),
        StructField("department", StringType()),
    ]
)


@dataclass(frozen=True)
class KafkaBatch:
    """Where one request's records are: a topic, per partition offsets from (inclusive) to (exclusive), and its key."""

    brokers: str
    topic: str
    ranges: dict  # partition -> (from, to)
    key: str  # the request's Kafka key: its records among others' in the range


def read_records(spark: SparkSession, batch: KafkaBatch) -> DataFrame:
    starting = {batch.topic: {str(p): start for p, (start, _end) in batch.ranges.items()}}
    ending = {batch.topic: {str(p): end for p, (_start, end) in batch.ranges.items()}}
    raw = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", batch.brokers)
        .option("assign", json.dumps({batch.topic: sorted(batch.ranges)}))
        # Two settings in the old service's favour (docs/old-service.md), streamforge's own: a fixed group id lets
        # Spark pool its Kafka consumers across queries, and a short fetch wait stops the consumer's prefetch past the
        # request's last offset from waiting out fetch.max.wait.ms (500 ms) for records that never come.
        .option("kafka.group.id", "old-service-fmw10")
        .option("kafka.fetch.max.wait.ms", "10")
        .option("startingOffsets", json.dumps(starting))
        .option("endingOffsets", json.dumps(ending))
        .load()
    )
    mine = raw.where(F.col("key").cast("string") == batch.key)
    return mine.select(F.from_json(F.col("value").cast("string"), RECORD_SCHEMA).alias("r")).select("r.*")
