-- The Sluice services' database account: every database whose name starts
-- with sluice_ (each service creates and migrates its own on first start),
-- nothing else. The account itself is MARIADB_USER / MARIADB_PASSWORD_FILE.
GRANT ALL PRIVILEGES ON `sluice\_%`.* TO 'sluice'@'%';
