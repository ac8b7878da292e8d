# Multi-stage build of the prequal binary on Debian 12; the runtime image holds only the binary, the
# migrations and the shared libraries it needs, and runs as an unprivileged user.
# (No Docker engine runs on the development machines: this file is kept correct by reading.)
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        g++ cmake ninja-build pkg-config \
        libboost1.81-all-dev libboost-json1.81-dev libpq-dev libbotan-2-dev libfmt-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
COPY modules modules
COPY sql sql
COPY tests tests
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPREQUAL_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/opt/prequal \
    && cmake --build build -j"$(nproc)" \
    && cmake --install build --strip

FROM debian:12-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpq5 libbotan-2-19 libfmt9 libboost-json1.81.0 libboost-program-options1.81.0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin prequal
COPY --from=build /opt/prequal /opt/prequal
USER prequal
EXPOSE 8080
ENV PREQUAL_LISTEN=0.0.0.0:8080
# A database URL and keys are required in containers (no private cluster):
#   PREQUAL_DATABASE_URL, PREQUAL_ENCRYPTION_KEYS, PREQUAL_PAN_INDEX_KEY
ENTRYPOINT ["/opt/prequal/bin/prequal"]
CMD ["serve"]
