# Multi-stage build of the prequal binary on Debian 12; the runtime image holds only the binary, the
# migrations and the shared libraries it needs, and runs as an unprivileged user.
# (No Docker engine runs on the development machines: this file is kept correct by reading.)
FROM debian:12 AS build
# Only the Boost libraries the build links (json, program_options; Asio/Beast are header-only here).
RUN apt-get update && apt-get install -y --no-install-recommends \
        g++ cmake ninja-build pkg-config \
        libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev \
        libpq-dev libbotan-2-dev libfmt-dev librdkafka-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
COPY modules modules
COPY sql sql
# The top-level CMakeLists.txt also describes the Debian package (config/debian, config/systemd, README.md);
# the image uses only the install tree under /opt/prequal.
COPY config config
COPY docs/page docs/page
COPY README.md ./
# With the Kafka bus the top-level CMakeLists.txt also builds the mock cluster program (scripts/run-kafka
# needs it in builds without tests); the image installs only the prequal binary.
COPY tests/kafka_fixture tests/kafka_fixture
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPREQUAL_BUILD_TESTS=OFF -DPREQUAL_WITH_KAFKA=ON \
        -DCMAKE_INSTALL_PREFIX=/opt/prequal \
    && cmake --build build -j"$(nproc)" \
    && cmake --install build --strip

FROM debian:12-slim AS runtime
# The binary's NEEDED libraries: libpq, Botan 2, fmt, Boost.JSON, Boost.Program_options, librdkafka, OpenSSL.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpq5 libbotan-2-19 libfmt9 libboost-json1.81.0 libboost-program-options1.81.0 librdkafka1 libssl3 \
        ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin prequal
COPY --from=build /opt/prequal /opt/prequal
USER prequal
EXPOSE 8080
ENV PREQUAL_LISTEN=0.0.0.0:8080
# A database URL and keys are required in containers (the image has no PostgreSQL server for a private
# cluster): PREQUAL_DATABASE_URL, PREQUAL_ENCRYPTION_KEYS, PREQUAL_PAN_INDEX_KEY; with the Kafka bus also
# PREQUAL_BUS=kafka and PREQUAL_KAFKA_BROKERS. Liveness: GET /health on the listen port (every module set
# serves it); compose probes it with bash's /dev/tcp, so the image needs no curl.
ENTRYPOINT ["/opt/prequal/bin/prequal"]
CMD ["serve"]
