# CodeGuard Nexus bot image (web app, workers). GPU hosts: build with
#   --build-arg TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124"
FROM python:3.11-slim
ARG TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ml ./ml
COPY webhooks ./webhooks
RUN pip install --no-cache-dir $TORCH && pip install --no-cache-dir .
COPY models ./models
ENV PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["codeguard", "serve", "--host", "0.0.0.0", "--port", "8080"]
