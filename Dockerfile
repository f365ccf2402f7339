# One image for the Temporal worker and the REST trigger (k8s/ runs it twice with different commands).
# Build: docker build -t streamforge:0.1.0 .   (needs only the npm and PyPI registries)

# The Spark Connect protocol, taken from the pyspark wheel like the local stack does (scripts/stack/gen-spark-connect-descriptors.py).
FROM python:3.11-slim AS spark-protocol
WORKDIR /build
COPY scripts/stack/requirements.txt scripts/stack/gen-spark-connect-descriptors.py ./
RUN pip install --no-cache-dir -r requirements.txt \
 && python gen-spark-connect-descriptors.py /build/spark-connect.desc

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY contracts contracts
COPY lib lib
COPY spark spark
COPY workflows workflows
COPY activities activities
COPY apps apps
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production \
    SPARK_CONNECT_DESCRIPTORS=/app/spark-connect.desc \
    DATA_DIR=/app/data \
    DEFINITIONS_DIR=/app/definitions \
    HOST=0.0.0.0
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json package.json
COPY data data
COPY definitions definitions
COPY --from=spark-protocol /build/spark-connect.desc /app/spark-connect.desc
# The image's `node` user by number, so Kubernetes' runAsNonRoot can verify it (k8s/base sets the same uid).
USER 1000:1000
# Default: the worker. The REST trigger: node dist/apps/rest/main.js
CMD ["node", "dist/apps/worker/main.js"]
