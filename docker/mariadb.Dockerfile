# MariaDB from the same local Debian 12 base as the Sluice images, for
# machines without a registry (`make image-test`; scripts/images.sh builds it
# as localhost/sluice-mariadb). It follows the official mariadb image's
# environment contract, so docker/compose.yaml can use either: MARIADB_USER
# with MARIADB_PASSWORD_FILE (or MARIADB_PASSWORD) creates the application
# account, and /docker-entrypoint-initdb.d/*.sql runs on the first start.
# root can only log in through the socket, as the server's own user.
FROM docker.io/library/debian:12-slim
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d /var/lib/mysql/* \
 && mkdir -p /var/lib/mysql /run/mysqld /docker-entrypoint-initdb.d \
 && chown mysql:mysql /var/lib/mysql /run/mysqld && chmod 0750 /var/lib/mysql
COPY docker/mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint
EXPOSE 3306
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["mariadb-admin", "--no-defaults", "--protocol=tcp", "--host=127.0.0.1", "--port=3306", "ping"]
USER mysql
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint"]
