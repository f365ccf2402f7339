# Load test of POST /process, reproducing the old Flask service's Locust test (100 users, 1 minute): each task
# sends a JSON array of 2-200 employee records shaped like data/emp_data.json and checks the analysis comes back.
# The same profile runs against streamforge and against the old service's reconstruction (scripts/old-service), so
# the check reads only what both answer. Run it through `npm run load` (which starts, reads and compares it); alone:
#   LOAD_WAIT=none .stack/venv/bin/locust --headless -f scripts/load/locustfile.py -H http://127.0.0.1:5000 -u 100 -r 10 -t 1m
# LOAD_WAIT: "none" = each user posts again as soon as it has its answer (the harshest case), "1s" = 1 s pause.
# LOAD_REQUEST_LOG: a file to append one "end_epoch_s,latency_ms,ok" line per request to (the soak report's input).
import csv
import itertools
import os
import random
import time
from datetime import date, timedelta

from locust import HttpUser, constant, events, task
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

WAITS = {"none": constant(0), "1s": constant(1)}
WAIT = os.environ.get("LOAD_WAIT", "none")
if WAIT not in WAITS:
    raise SystemExit(f"LOAD_WAIT must be one of {', '.join(WAITS)}, got {WAIT!r}")

DEPARTMENTS = ["Engineering", "Sales", "Finance", "HR", "Marketing", "Research"]
FIRST_DAY, DAYS = date(1960, 1, 1), 365 * 45
# Ids are unique within a body (the service rejects duplicates); a global counter keeps them unique across bodies too.
next_id = itertools.count(1)


def record() -> dict:
    r = {"id": next(next_id), "gender": random.choice("MF"), "salary": random.randrange(30_000, 150_000, 100)}
    if random.random() < 0.7:  # like the seed data, most but not all records carry a birth date and a department
        r["birth_date"] = (FIRST_DAY + timedelta(days=random.randrange(DAYS))).isoformat()
        r["department"] = random.choice(DEPARTMENTS)
    return r


class ProcessUser(HttpUser):
    wait_time = WAITS[WAIT]

    @task
    def process(self) -> None:
        body = [record() for _ in range(random.randint(2, 200))]
        with self.client.post("/process", json=body, timeout=300, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            try:
                answer = response.json()
            except ValueError:
                response.failure(f"not JSON: {response.text[:200]}")
                return
            missing = [k for k in ("record_count", "count_by_gender", "salary") if k not in answer]
            if missing:
                response.failure(f"answer lacks {', '.join(missing)}")
                return
            counted = sum(answer["count_by_gender"].values())
            if answer["record_count"] != len(body) or counted != len(body):
                response.failure(f"sent {len(body)} records, answer counts {answer['record_count']} ({counted} by gender)")


REQUEST_LOG = open(os.environ["LOAD_REQUEST_LOG"], "a", buffering=1) if os.environ.get("LOAD_REQUEST_LOG") else None


@events.request.add_listener
def log_request(response_time, exception, **_kwargs) -> None:
    if REQUEST_LOG:
        REQUEST_LOG.write(f"{time.time():.3f},{response_time:.1f},{0 if exception else 1}\n")


ENVIRONMENT = None


@events.init.add_listener
def keep_environment(environment, **_kwargs) -> None:
    global ENVIRONMENT
    ENVIRONMENT = environment


@events.quit.add_listener
def write_final_stats(**_kwargs) -> None:
    # With --csv, Locust rewrites <prefix>_stats.csv once a second but not at exit, so the answers of the last second
    # (in the printed summary) would be missing from it: write it once more from the final totals. The quit event
    # carries only the exit code (Locust 2.47), hence the environment kept from init.
    environment = ENVIRONMENT
    prefix = environment and environment.parsed_options and environment.parsed_options.csv_prefix
    if not prefix:
        return
    with open(f"{prefix}_stats.csv.tmp", "w", newline="") as f:
        StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(f))
    os.replace(f"{prefix}_stats.csv.tmp", f"{prefix}_stats.csv")  # Locust's own handle keeps the replaced file
