# The one image every Squall service runs: the project's own CLI on Node (an LTS at or above
# package.json's `engines`), with Python and Go toolchains so multilang components (and their Go
# builds) work inside it. Debian's golang-go is too old for multilang/go (bookworm has 1.19;
# go.mod asks for 1.22), so Go comes from the official image. test/integration/dockerfile.test.ts
# checks these versions against package.json and go.mod.
FROM golang:1.24-bookworm AS go

FROM node:24-bookworm-slim
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/squall
COPY package.json package-lock.json ./
# npm install (not ci), as scripts/test-all.sh does: the lockfile has no entries for the optional
# native packages of other platforms (msgpackr-extract's), which npm ci refuses. Scripts wait for
# the sources (the package's own `prepare` builds them); `npm rebuild` below runs the dependencies'.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm rebuild && npm run build && npm link \
 && pip3 install --no-cache-dir --break-system-packages ./multilang/python \
 && (cd multilang/go && go build ./...)
ENTRYPOINT ["squall"]
CMD ["--help"]
