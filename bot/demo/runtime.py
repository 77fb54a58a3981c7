"""Services whose tasks start: four that then fail (memory, health checks, exits), and the healthy one."""

from __future__ import annotations

from datetime import timedelta

from bot.demo.spec import MemoryClimb, Revision, Scenario, Stop, Tasks, ago
from bot.demo.telemetry import LogLine

OOM_KILLED = Stop(
    "EssentialContainerExited",
    "OutOfMemoryError: Container killed due to memory usage",
    after=270.0,
    exit_code=137,
    reason_on_container=True,
)


def _exited(after: float) -> Stop:
    """Exit code 1: the application gave up."""
    return Stop("EssentialContainerExited", "Essential container in task exited", after, exit_code=1)


def _checkout_logs(i: int) -> list[LogLine]:
    """The cart cache grows without eviction until the kill; task i dies a little fatter than i - 1."""
    return [
        (0.4, "checkout-service v1.12.3 starting (node v20.12.2, pid 1)"),
        (1.9, "connected to redis at checkout-cache.internal:6379"),
        (2.3, "listening on :3000"),
        *[
            (60.0 * m, f"processed {180 * m} orders; cart cache holds {12_000 + 9_000 * m} entries")
            for m in range(1, 5)
        ],
        (OOM_KILLED.after - 8, f"warn: cart cache holds 48210 entries (~{402 + i} MB), eviction disabled"),
    ]


CHECKOUT = Scenario(
    service="checkout",
    pushed=("v1.12.2", "v1.12.3"),
    revisions=(
        Revision(
            "v1.12.3",
            rollout="COMPLETED",
            deployed=ago(days=3, hours=1),
            updated=ago(minutes=3),
            port=3000,
            environment={"NODE_ENV": "production", "CART_CACHE_TTL": "0", "PORT": "3000"},
        ),
    ),
    tasks=(
        Tasks(
            10,
            first=ago(minutes=58),
            every=timedelta(minutes=5),
            jitter=(0, 17, 34),
            lead=42,
            stop=OOM_KILLED,
            logs=_checkout_logs,
        ),
        Tasks(
            2,
            first=ago(minutes=6),
            every=timedelta(minutes=3),
            announced=4,
            logs=[
                (0.4, "checkout-service v1.12.3 starting (node v20.12.2, pid 1)"),
                (2.3, "listening on :3000"),
            ],
        ),
    ),
    steady=(ago(days=3),),
    memory=MemoryClimb(start=150, limit=512.0, over=OOM_KILLED.after),
    category="oom",
    facts=("OutOfMemoryError", "512"),
    conclusions=("1024",),  # the next valid Fargate memory size
    story="10 tasks killed at the 512 MiB hard limit; Container Insights shows memory climbing to it",
)
WEB = Scenario(
    service="web",
    pushed=("3.2.0", "3.2.1"),
    revisions=(
        Revision(
            "3.2.1",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=42),
            updated=ago(minutes=2),
            cpu="512",
            memory="1024",
            port=8080,
            environment={"SPRING_PROFILES_ACTIVE": "prod", "SERVER_PORT": "8080", "JAVA_OPTS": "-Xmx768m"},
        ),
    ),
    security_group="sg_web",
    target_group="tg_web",
    grace_period=10,
    tasks=(
        Tasks(
            6,
            first=ago(minutes=40),
            every=timedelta(minutes=6, seconds=11),
            lead=48,
            stop=Stop(
                "ServiceSchedulerInitiated",
                "Task failed ELB health checks in (target-group {target_group})",
                after=101,
                exit_code=143,
            ),
            logs=[
                (1.2, "Starting WebApplication v3.2.1 using Java 17.0.10 with PID 1"),
                (1.3, 'The following 1 profile is active: "prod"'),
                (12.6, "Bootstrapping Spring Data JPA repositories in DEFAULT mode."),
                (31.4, "Tomcat initialized with port 8080 (http)"),
                (58.2, "HikariPool-1 - Starting..."),
                (61.9, "HikariPool-1 - Start completed."),
                (71.5, "Initialized JPA EntityManagerFactory for persistence unit 'default'"),
                (93.1, "Tomcat started on port 8080 (http) with context path ''"),
                (94.8, "Started WebApplication in 94.8 seconds (process running for 96.3)"),
                (97.2, "Commencing graceful shutdown. Waiting for active requests to complete"),
                (97.6, "Graceful shutdown complete"),
            ],
            events=(
                (
                    91,
                    "(service {service}) (task {task}) (port 8080) is unhealthy in (target-group "
                    "{target_group}) due to (reason Request timed out).",
                ),
                (93, "(service {service}) has stopped 1 running tasks: (task {task})."),
                (94, "(service {service}) deregistered 1 targets in (target-group {target_group})"),
            ),
        ),
    ),
    category="elb_health_check",
    facts=("8080", "/healthz", "web-tg"),
    story="the app needs ~95 s to start; grace period 10 s, health checks every 30 s, 3 to fail",
)
ORDERS = Scenario(
    service="orders",
    pushed=("4.1.9", "4.2.0"),
    revisions=(
        Revision(
            "4.2.0",
            rollout="COMPLETED",
            deployed=ago(days=6),
            updated=ago(minutes=7),
            port=8000,
            environment={
                "DATABASE_URL": "postgresql://orders_app:hunter2-Zq8vR4tLm9@orders-db.internal:5432/orders",
                "WORKERS": "4",
            },
        ),
    ),
    tasks=(
        Tasks(
            5,
            first=ago(minutes=45),
            every=timedelta(minutes=9, seconds=5),
            lead=39,
            stop=_exited(9),
            logs=[
                (0.3, "INFO orders-service 4.2.0 starting (pid 1, 4 workers)"),
                (0.4, "INFO loading configuration from environment"),
                (
                    0.6,
                    "INFO connecting to database postgresql://orders_app:hunter2-Zq8vR4tLm9"
                    "@orders-db.internal:5432/orders",
                ),
                (5.7, "Traceback (most recent call last):"),
                (5.7, '  File "/app/orders/db.py", line 41, in connect'),
                (5.7, "    return psycopg2.connect(dsn, connect_timeout=5)"),
                (
                    5.8,
                    "psycopg2.OperationalError: could not connect to server: Connection refused. "
                    'Is the server running on host "orders-db.internal" (10.0.12.40) and accepting '
                    "TCP/IP connections on port 5432?",
                ),
            ],
        ),
    ),
    steady=(ago(days=1),),
    category="app_error",
    facts=("psycopg2.OperationalError", "Connection refused", "5432"),
    absent=("hunter2-Zq8vR4tLm9",),
    story="exit 1 a few seconds after start; the log tail says the database refused the connection",
)
SEARCH = Scenario(
    service="search",
    pushed=("1.8.0", "1.9.0"),
    revisions=(
        Revision(
            "1.8.0",
            rollout="COMPLETED",
            deployed=ago(days=4, minutes=12),
            updated=ago(days=4),
            cpu="512",
            memory="1024",
            port=8000,
            command=("gunicorn", "search.app:app", "--bind", "0.0.0.0:8000", "--workers", "3"),
            environment={"ELASTICSEARCH_URL": "https://search-es.internal:9200", "INDEX_NAME": "products"},
        ),
        Revision(
            "1.9.0",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=25),
            updated=ago(minutes=4),
            cpu="512",
            memory="1024",
            port=8000,
            command=("python", "-m", "search.server", "--port", "8000"),
            environment={"INDEX_NAME": "products"},
        ),
    ),
    tasks=(
        Tasks(
            2,
            first=ago(days=4, minutes=10),
            every=timedelta(minutes=1),
            lead=45,
            announced=None,
            logs=[
                (0.5, "[INFO] Starting gunicorn 21.2.0"),
                (0.6, "[INFO] Listening at: http://0.0.0.0:8000 (1)"),
                (1.9, "search 1.8.0 connected to https://search-es.internal:9200, index products"),
            ],
        ),
        Tasks(
            5,
            first=ago(minutes=24),
            every=timedelta(minutes=4, seconds=3),
            revision=2,
            lead=41,
            stop=_exited(6),
            logs=[
                (0.4, "search-server 1.9.0 starting on port 8000"),
                (0.5, "loading settings from environment"),
                (0.6, "Traceback (most recent call last):"),
                (0.6, '  File "/app/search/settings.py", line 12, in <module>'),
                (0.6, '    ES_URL = os.environ["ELASTICSEARCH_URL"]'),
                (0.6, "KeyError: 'ELASTICSEARCH_URL'"),
            ],
        ),
    ),
    steady=(ago(days=4), ago(hours=18), ago(hours=12), ago(hours=6), ago(minutes=40)),
    category="app_error",
    facts=("ELASTICSEARCH_URL", "1.9.0", "1.8.0"),
    story="revision 2 (search:1.9.0, new command, ELASTICSEARCH_URL removed) exits 1 within seconds; "
    "revision 1 (search:1.8.0) was steady",
)
FRONTEND = Scenario(
    service="frontend",
    pushed=("1.4.0", "1.4.1"),
    revisions=(
        Revision(
            "1.4.1",
            rollout="COMPLETED",
            deployed=ago(days=1, minutes=22),
            updated=ago(days=1, minutes=12),
            port=80,
            environment={"API_BASE": "/app"},
        ),
    ),
    security_group="sg_frontend",
    target_group="tg_frontend",
    grace_period=60,
    circuit_breaker=True,
    tasks=(
        Tasks(
            2,
            first=ago(days=1, minutes=20),
            every=timedelta(minutes=2),
            lead=35,
            logs=[
                (0.2, "nginx/1.25.4 start worker processes"),
                (30.0, '10.0.0.87 - - "GET / HTTP/1.1" 200 1532 "-" "ELB-HealthChecker/2.0"'),
            ],
        ),
    ),
    events=(
        (
            ago(days=1, minutes=15),
            "(service {service}) registered 2 targets in (target-group {target_group})",
        ),
    ),
    steady=(ago(days=1, minutes=12), ago(hours=18), ago(hours=12), ago(hours=6), ago(minutes=12)),
    category=None,
    story="healthy: two running tasks, steady state, no stopped tasks",
)
