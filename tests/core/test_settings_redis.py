"""With PEYVAND_REDIS_URL the processes share Redis for both real-time messages and the cache (so flood limits
count every process's requests); without it, each process keeps both in memory."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.CACHES['default'], settings.CHANNEL_LAYERS['default']['BACKEND']]))"
)


def _settings(**env: str) -> list:
    environ = {k: v for k, v in os.environ.items() if k != "PEYVAND_REDIS_URL"}
    environ.update(env, DJANGO_SETTINGS_MODULE="peyvand.settings", PYTHONPATH=str(ROOT / "src"))
    script = f"import django; django.setup(); {PROBE}"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_process_keeps_cache_and_messages_in_memory():
    cache, layer = _settings()
    assert cache["BACKEND"].endswith("LocMemCache")
    assert layer == "channels.layers.InMemoryChannelLayer"


def test_a_redis_url_shares_the_cache_and_the_messages():
    cache, layer = _settings(PEYVAND_REDIS_URL="redis://127.0.0.1:6390/2")
    assert cache == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6390/2"}
    assert layer == "channels_redis.core.RedisChannelLayer"
