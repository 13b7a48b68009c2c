# Production image: the web service under gunicorn, static files served by WhiteNoise.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 gettext \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo_mediation geo_mediation
COPY accounts accounts
COPY territories territories
COPY interventions interventions
COPY layers layers
COPY demo demo
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && python manage.py compilemessages --ignore /usr \
    && SECRET_KEY=build-only-secret-key-build-only-secret-key-build-only \
       ALLOWED_HOSTS=localhost DATABASE_URL=postgis://build@localhost/build \
       python manage.py collectstatic --noinput

ENV DJANGO_SETTINGS_MODULE=geo_mediation.settings.production
EXPOSE 8000
# --preload imports the app (SciPy, PySAL) once in the master, before workers fork.
CMD ["gunicorn", "geo_mediation.wsgi:application", "--preload", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
