# syntax=docker/dockerfile:1
# Builds the operator jar from source, then runs it on a JRE as an unprivileged user.
#   docker build -t ghcr.io/lxdbackup/lxd-backup-operator:0.1.0 .

FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml lombok.config ./
COPY crds/ crds/
COPY src/ src/
# Tests need LXD daemons and a mock API server; CI runs them (hack/test.sh), not the image build.
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -DskipTests package

FROM eclipse-temurin:21-jre
LABEL org.opencontainers.image.title="lxd-backup-operator" \
      org.opencontainers.image.description="Kubernetes operator that backs up LXD instances"
COPY --from=build /src/target/lxd-backup-operator.jar /app/lxd-backup-operator.jar
# A training start (local mode, no LXD: one object of each kind reconciled once, then exit) writes
# the class-data archive the operator starts with; about a third less time from start to ready
# (docs/benchmarks.md, Start-up). A JVM that cannot map it starts without it and says so once.
RUN java -XX:ArchiveClassesAtExit=/app/lxd-backup-operator.jsa -Xlog:cds=off \
      -jar /app/lxd-backup-operator.jar train --http-port=0 \
    && chmod 0444 /app/lxd-backup-operator.jsa
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/lxd-backup-operator.jsa", "-jar", "/app/lxd-backup-operator.jar"]
