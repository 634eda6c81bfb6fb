"""Configuration from environment variables, with zero-set-up defaults under ``data/``.

Read once per process (``settings()``); everything else asks it, never the environment.

WORKBENCH_DATA_DIR       folder of everything the app writes (default: data/ in the project)
WORKBENCH_DATABASE_URL   any SQLAlchemy URL (default: SQLite file <data dir>/workbench.db)
WORKBENCH_PHOTO_STORE    where the content-addressed photos live: a folder (default: data/photos) or
                         s3://bucket/prefix for an S3-compatible object store (OSS, COS, MinIO, S3)
WORKBENCH_S3_ENDPOINT    the object store's address, e.g. https://oss-cn-hangzhou.aliyuncs.com,
                         https://cos.ap-guangzhou.myqcloud.com, http://minio:9000 (unset = AWS)
WORKBENCH_S3_REGION      its region, e.g. oss-cn-hangzhou, ap-guangzhou (default: none)
WORKBENCH_S3_ACCESS_KEY_ID / WORKBENCH_S3_SECRET_ACCESS_KEY  its keys (unset = boto3's own chain:
                         AWS_* variables, instance roles)
WORKBENCH_S3_ADDRESSING  "virtual" (bucket in the host name; OSS and COS require it, the default)
                         or "path" (MinIO and most self-hosted servers)
WORKBENCH_WORKERS        photo worker processes `python -m core serve` starts (default: one per core)
WORKBENCH_WORKER_NICE    how much lower a worker's CPU priority is than the API's and the apps' (default
                         10): on a machine they share, a request never waits behind photo work, and
                         the workers still get every cycle nobody else wants
WORKBENCH_QUEUE          "sqlite" (default, data/queue.db), "redis://host:port/db", or "immediate"
                         (jobs run inline; tests)
WORKBENCH_QUEUE_NAME     the queue's name (Redis key prefix; default "workbench")
WORKBENCH_FIXTURES       folder of demo/test photos (default: ../shared/fixtures)
WORKBENCH_SESSION_MINUTES  staff session idle timeout: signed out after this long without a click
                         (default 30)
WORKBENCH_SESSION_MAX_HOURS  staff session absolute lifetime: signed out this long after sign-in,
                         however active (default 12, a working day)
WORKBENCH_COOKIE_SECURE  "auto" (default: Secure when the request came over https, as told by the
                         server or X-Forwarded-Proto from a trusted proxy), "always" or "never"
WORKBENCH_JOB_LEASE_SECONDS    a worker's claim on a job lasts this long unless its heartbeat renews it;
                         a job whose worker died goes back to the queue after it (default 30)
WORKBENCH_WORKER_HEARTBEAT_SECONDS  how often a worker renews its lease, records that it is alive,
                         reaps expired leases and delivers the outbox (default 2)
WORKBENCH_JOB_ATTEMPTS   attempts before a job ends failed for good (default 3)
WORKBENCH_WORKER_GRACE_SECONDS  on SIGTERM/SIGINT a worker finishes the job in hand within this,
                         else hands it back to the queue (default 20)
WORKBENCH_EXPORT_RETENTION_DAYS  exported CHSI packages (data/exports) older than this are deleted
                         at the next export (default 7; a batch can be exported again, identically)
WORKBENCH_API_HOST / WORKBENCH_API_PORT   where the student API listens (default 127.0.0.1:8503)
WORKBENCH_API_TOKEN_MINUTES  how long a student's bearer token lasts (default 120)
WORKBENCH_API_RATE_STUDENT / WORKBENCH_API_RATE_ADDRESS  requests a minute per student / per client
                         address (default 120 / 600)
WORKBENCH_WECHATPAY_PLATFORM_KEY  WeChat Pay platform certificate's public key (PEM file) that signs
                         payment notifications; unset = a development signer with keys made at start-up
WORKBENCH_WECHATPAY_APIV3_KEY     the 32-byte APIv3 key that encrypts their resource (production)
WORKBENCH_WECHATPAY_PLATFORM_SERIAL  the platform certificate's serial (Wechatpay-Serial); optional
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    photo_store: str
    """A folder, or ``s3://bucket/prefix``; ``core.storage.photos.open_photo_store`` opens either."""
    queue: str
    fixtures_dir: Path
    data_dir: Path
    session_minutes: int
    export_retention_days: int = 7
    api_host: str = "127.0.0.1"
    api_port: int = 8503
    api_token_minutes: int = 120
    api_rate_student: int = 120
    api_rate_address: int = 600
    api_trusted_proxies: str = ""
    """Addresses or networks of the load balancers in front of the API, whose X-Forwarded-For names
    the phone; empty: the header is ignored (a phone cannot claim another address)."""
    wechatpay_platform_key: Path | None = None
    wechatpay_apiv3_key: str | None = None
    wechatpay_platform_serial: str | None = None
    session_max_hours: int = 12
    cookie_secure: str = "auto"
    queue_name: str = "workbench"
    job_lease_seconds: float = 30.0
    worker_heartbeat_seconds: float = 2.0
    job_attempts: int = 3
    worker_grace_seconds: float = 20.0
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = field(default=None, repr=False)
    s3_addressing: str = "virtual"
    workers: int = 1
    worker_nice: int = 10
    api_processes: int = 1

    @property
    def exports_dir(self) -> Path:
        """Exported CHSI packages: inside the data folder, never the system temp folder."""
        return self.data_dir / "exports"

    @property
    def prints_dir(self) -> Path:
        """Print runs (sheets, shipping lists, packing slips): in the data folder, like exports."""
        return self.data_dir / "prints"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("WORKBENCH_DATA_DIR", PROJECT_ROOT / "data"))
        return cls(
            database_url=os.environ.get(
                "WORKBENCH_DATABASE_URL", f"sqlite:///{data_dir / 'workbench.db'}"
            ),
            photo_store=os.environ.get("WORKBENCH_PHOTO_STORE") or str(data_dir / "photos"),
            queue=os.environ.get("WORKBENCH_QUEUE", "sqlite"),
            fixtures_dir=Path(
                os.environ.get("WORKBENCH_FIXTURES", PROJECT_ROOT.parent / "shared" / "fixtures")
            ),
            data_dir=data_dir,
            session_minutes=int(os.environ.get("WORKBENCH_SESSION_MINUTES", "30")),
            export_retention_days=int(os.environ.get("WORKBENCH_EXPORT_RETENTION_DAYS", "7")),
            api_host=os.environ.get("WORKBENCH_API_HOST", "127.0.0.1"),
            api_port=int(os.environ.get("WORKBENCH_API_PORT", "8503")),
            api_token_minutes=int(os.environ.get("WORKBENCH_API_TOKEN_MINUTES", "120")),
            api_rate_student=int(os.environ.get("WORKBENCH_API_RATE_STUDENT", "120")),
            api_rate_address=int(os.environ.get("WORKBENCH_API_RATE_ADDRESS", "600")),
            api_trusted_proxies=os.environ.get("WORKBENCH_API_TRUSTED_PROXIES", "").strip(),
            wechatpay_platform_key=Path(key) if (key := os.environ.get("WORKBENCH_WECHATPAY_PLATFORM_KEY")) else None,
            wechatpay_apiv3_key=os.environ.get("WORKBENCH_WECHATPAY_APIV3_KEY") or None,
            wechatpay_platform_serial=os.environ.get("WORKBENCH_WECHATPAY_PLATFORM_SERIAL") or None,
            session_max_hours=int(os.environ.get("WORKBENCH_SESSION_MAX_HOURS", "12")),
            cookie_secure=os.environ.get("WORKBENCH_COOKIE_SECURE", "auto"),
            queue_name=os.environ.get("WORKBENCH_QUEUE_NAME", "workbench"),
            job_lease_seconds=float(os.environ.get("WORKBENCH_JOB_LEASE_SECONDS", "30")),
            worker_heartbeat_seconds=float(os.environ.get("WORKBENCH_WORKER_HEARTBEAT_SECONDS", "2")),
            job_attempts=max(1, int(os.environ.get("WORKBENCH_JOB_ATTEMPTS", "3"))),
            worker_grace_seconds=float(os.environ.get("WORKBENCH_WORKER_GRACE_SECONDS", "20")),
            s3_endpoint=os.environ.get("WORKBENCH_S3_ENDPOINT") or None,
            s3_region=os.environ.get("WORKBENCH_S3_REGION") or None,
            s3_access_key_id=os.environ.get("WORKBENCH_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=os.environ.get("WORKBENCH_S3_SECRET_ACCESS_KEY") or None,
            s3_addressing=_choice("WORKBENCH_S3_ADDRESSING", ("virtual", "path")),
            workers=max(1, int(os.environ.get("WORKBENCH_WORKERS") or os.cpu_count() or 1)),
            worker_nice=min(19, max(0, int(os.environ.get("WORKBENCH_WORKER_NICE") or "10"))),
            api_processes=_api_processes(os.environ.get("WORKBENCH_QUEUE", "sqlite")),
        )


def _api_processes(queue: str) -> int:
    """API processes on this machine: one per core when the rate limits are shared through Redis,
    else one (each process would keep its own counts, multiplying every student's allowance)."""
    shared = queue.startswith("redis://")
    raw = os.environ.get("WORKBENCH_API_PROCESSES")
    count = max(1, int(raw)) if raw else (os.cpu_count() or 1) if shared else 1
    if count > 1 and not shared:
        raise ValueError("WORKBENCH_API_PROCESSES > 1 needs WORKBENCH_QUEUE=redis://…: the processes share "
                         "their rate limits through Redis")
    return count


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first by default); a typo stops start-up instead of misbehaving later."""
    value = os.environ.get(name) or allowed[0]
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The configuration, read from the environment on first use. Tests that change the
    environment call ``settings.cache_clear()``."""
    return Settings.from_env()


def fixtures_dir(*parts: str) -> Path:
    """A path inside the demo/test photos (WORKBENCH_FIXTURES, default ../shared/fixtures): the
    one place that knows where they are. The photos are read in place, never copied."""
    return settings().fixtures_dir.joinpath(*parts)
