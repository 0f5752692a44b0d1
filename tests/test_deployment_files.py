"""docker-compose.yml read against the settings: no engine runs here, so check by reading."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = "".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))


# read from the environment by the libraries themselves, not by the settings
READ_BY_LIBRARIES = {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}


def _app_services():
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image") == "itaflow:latest"
    }


def test_compose_runs_the_whole_production_stack():
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(COMPOSE["services"])
    commands = {name: " ".join(s["command"]) for name, s in _app_services().items()}
    assert commands["web"].startswith("gunicorn config.wsgi:application")
    assert commands["worker"].startswith("celery -A config worker")
    assert "django_celery_beat.schedulers:DatabaseScheduler" in commands["beat"]
    assert commands["migrate"] == "python manage.py migrate --noinput"


def test_every_variable_compose_sets_is_read_by_the_settings():
    for name, service in _app_services().items():
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        for variable in environment:
            if variable in READ_BY_LIBRARIES:
                continue
            assert re.search(rf"['\"]{variable}['\"]", SETTINGS_SOURCE), (
                f"{name} sets {variable}, which no setting reads"
            )


def test_compose_points_the_app_at_its_own_database_and_redis():
    environment = _app_services()["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://itaflow:")
    assert environment["DATABASE_URL"].endswith("@pgbouncer:6432/itaflow")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert COMPOSE["services"]["db"]["environment"]["POSTGRES_DB"] == "itaflow"


def test_readme_lists_every_variable_compose_sets():
    readme = (ROOT / "README.md").read_text()
    for variable in _app_services()["web"]["environment"]:
        assert f"`{variable}`" in readme, variable


def test_web_worker_and_beat_have_health_checks_that_reach_the_product():
    services = _app_services()
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/health/" in web
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "config.health import Beat" in " ".join(services["beat"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
    # production redirects plain HTTP, but not the probes
    assert 'SECURE_REDIRECT_EXEMPT = [r"^health/"' in SETTINGS_SOURCE


def test_the_app_reaches_postgresql_through_pgbouncer_in_transaction_mode():
    services = COMPOSE["services"]
    assert services["pgbouncer"]["build"] == "config/pgbouncer"
    entrypoint = (ROOT / "config" / "pgbouncer" / "entrypoint.sh").read_text()
    assert "pool_mode = transaction" in entrypoint
    for name in ("web", "worker", "beat"):
        environment = _app_services()[name]["environment"]
        assert "@pgbouncer:6432/" in environment["DATABASE_URL"], name
        assert environment["DATABASE_TRANSACTION_POOLING"] == "true", name
    migrate = _app_services()["migrate"]["environment"]
    assert "@db:5432/" in migrate["DATABASE_URL"]
    for variable in ("DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "DEFAULT_POOL_SIZE"):
        assert "$" + variable in entrypoint or "${" + variable in entrypoint, variable


def test_web_workers_freeze_what_they_loaded_before_serving():
    import gc
    import importlib.util

    # given the web command of compose and the image's own default
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-c config/gunicorn.py" in " ".join(_app_services()["web"]["command"])
    assert '"-c", "config/gunicorn.py"' in dockerfile

    # when gunicorn has loaded the app in a worker
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "config" / "gunicorn.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    gc.unfreeze()
    try:
        conf.post_worker_init(worker=None)

        # then what it loaded is out of the collector's passes
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
