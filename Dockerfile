# Production image: one image for web, worker and beat (see docker-compose.yml).
# Python packages come only from requirements.txt, Node packages only from package-lock.json
# (npm ci); tests/config/test_supply_chain.py checks it.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app tracker && mkdir -p /app/var && chown -R tracker /app/var
USER tracker
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
