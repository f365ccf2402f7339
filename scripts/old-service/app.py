"""The old Flask service, reconstructed (docs/old-service.md states every assumption): POST /process takes a JSON
array of employee records, pushes them to its Kafka topic, runs its PySpark jobs over exactly those records and
answers their analysis as JSON. Started by `npm run load -- --target old|both` (scripts/old-service/process.ts);
alone:
  OLD_SERVICE_PORT=5050 KAFKA_BROKERS=127.0.0.1:9092 OLD_SERVICE_SPARK_JARS=<comma-separated jars> \
    .stack/venv/bin/python scripts/old-service/app.py
"""
import json
import os
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from pyspark.sql import SparkSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jobs import count_gender, count_month, final_analysis  # noqa: E402
from jobs.kafka_source import KafkaBatch  # noqa: E402


def setting(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        raise SystemExit(f"{name} is not set — start the old service through `npm run load -- --target old` or set it")
    return value


# `--port=N` (as scripts/old-service/process.ts starts it, so the port shows in the process list) or OLD_SERVICE_PORT.
PORT = int(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--port=")), setting("OLD_SERVICE_PORT", "5050")))
BROKERS = setting("KAFKA_BROKERS", "127.0.0.1:9092")
TOPIC = setting("OLD_SERVICE_TOPIC", "old-service.emp_data")
JARS = setting("OLD_SERVICE_SPARK_JARS")
MAX_RECORDS = 10_000


def create_topic() -> None:
    # One partition, as the old job scripts read it (read_json_from_topic: partition 0); the broker does not create
    # topics on first write.
    admin = KafkaAdminClient(bootstrap_servers=BROKERS, client_id="old-service")
    try:
        admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def create_session() -> SparkSession:
    # One classic SparkSession for the life of the process, local[*], Spark's defaults otherwise (shuffle partitions,
    # adaptive execution): a spark-submit per request costs seconds of JVM start and cannot reach 12 requests/s.
    return (
        SparkSession.builder.appName("old-service")
        .master("local[*]")
        .config("spark.jars", JARS)
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        # A log that stays readable under load: no console progress bars, no per-query warnings.
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def produce(records: list) -> KafkaBatch:
    """Writes one message per record, waits for all, and returns the offsets they landed at."""
    # Concurrent requests share the producer and the partition, so their records interleave: each request's offset
    # range holds others' records too. A key per request tells its own apart (the jobs read the range, keep the key).
    key = uuid.uuid4().hex.encode()
    futures = [producer.send(TOPIC, json.dumps(r).encode(), key=key) for r in records]
    producer.flush()
    ranges: dict = {}
    for future in futures:
        meta = future.get(timeout=30)
        start, end = ranges.get(meta.partition, (meta.offset, meta.offset + 1))
        ranges[meta.partition] = (min(start, meta.offset), max(end, meta.offset + 1))
    return KafkaBatch(BROKERS, TOPIC, ranges, key.decode())


def analyse(records: list) -> dict:
    batch = produce(records)
    today = datetime.now(timezone.utc).date()
    analysis = final_analysis.run(spark, batch, today)
    return {
        "record_count": len(records),
        "count_by_gender": count_gender.run(spark, batch),
        "count_by_month": count_month.run(spark, batch),
        **analysis,
    }


app = Flask("old-service")


@app.get("/healthz")
def healthz():
    # Served only once the session is up and warm (app.run comes last): a 200 means ready.
    return jsonify(status="ok")


@app.post("/process")
def process():
    records = request.get_json(silent=True)
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        return jsonify(error="bad_request", message="the body must be a non-empty JSON array of record objects"), 400
    if len(records) > MAX_RECORDS:
        return jsonify(error="bad_request", message=f"at most {MAX_RECORDS} records, got {len(records)}"), 400
    started = time.monotonic()
    answer = analyse(records)
    answer["timings_ms"] = {"total": round(1000 * (time.monotonic() - started))}
    return jsonify(answer)


def warm_up() -> None:
    # A service that had run for a while had its JVM warm; a few requests' worth of work before /healthz says ready.
    sample = [
        {"id": 1, "gender": "F", "salary": 5000.0, "birth_date": "1990-03-04", "department": "Sales"},
        {"id": 2, "gender": "M", "salary": 7000.0},
    ]
    for _ in range(3):
        analyse(sample)


if __name__ == "__main__":
    create_topic()
    producer = KafkaProducer(bootstrap_servers=BROKERS, client_id="old-service", linger_ms=0, acks="all")
    spark = create_session()
    spark.sparkContext.setLogLevel("ERROR")
    warm_up()
    print(f"old service ready on 127.0.0.1:{PORT} (topic {TOPIC}, Kafka {BROKERS})", flush=True)
    # Flask's own server, threaded (a thread per request), as the old service ran it.
    app.run(host="127.0.0.1", port=PORT, threaded=True)
