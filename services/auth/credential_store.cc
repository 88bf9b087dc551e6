#include "services/auth/credential_store.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <sstream>

#include "common/mysql/mysql_pool.h"

namespace sluice {

std::vector<std::vector<std::string>> MySqlCredentialStore::Migrations() {
  return {{
              "CREATE TABLE IF NOT EXISTS credentials ("
              " listener_uuid CHAR(36) NOT NULL PRIMARY KEY,"
              " config BLOB NOT NULL,"
              " secret_sha256 VARBINARY(32) NOT NULL,"
              " version BIGINT NOT NULL,"
              " updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
              ") ENGINE=InnoDB",
          },
          {
              "ALTER TABLE credentials"
              " ADD COLUMN IF NOT EXISTS password_kdf VARCHAR(255) NOT NULL "
              "DEFAULT '',"
              " ADD COLUMN IF NOT EXISTS hmac_secret_sealed VARBINARY(1024) "
              "NOT NULL DEFAULT ''",
          }};
}

absl::Status MySqlCredentialStore::Put(const StoredCredential& c) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "INSERT INTO credentials (listener_uuid, config, secret_sha256, "
        "version, password_kdf,"
        " hmac_secret_sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
        "CURRENT_TIMESTAMP(6))"
        " ON DUPLICATE KEY UPDATE config = VALUES(config), secret_sha256 = "
        "VALUES(secret_sha256),"
        " version = VALUES(version), password_kdf = VALUES(password_kdf),"
        " hmac_secret_sealed = VALUES(hmac_secret_sealed), updated_at = "
        "VALUES(updated_at)"));
    std::string config = c.config.SerializeAsString();
    std::istringstream config_blob(config), secret_blob(c.secret_sha256),
        sealed_blob(c.hmac_secret_sealed);
    st->setString(1, c.listener_uuid);
    st->setBlob(2, &config_blob);
    st->setBlob(3, &secret_blob);
    st->setInt64(4, c.version);
    st->setString(5, c.password_kdf);
    st->setBlob(6, &sealed_blob);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredCredential> MySqlCredentialStore::Get(
    const std::string& listener_uuid) {
  StoredCredential c;
  bool found = false;
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("SELECT config, secret_sha256, version, "
                             "password_kdf, hmac_secret_sealed"
                             " FROM credentials WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) {
      found = true;
      c.listener_uuid = listener_uuid;
      if (!c.config.ParseFromString(rs->getString(1).asStdString())) {
        return absl::DataLossError("stored auth config does not parse");
      }
      c.secret_sha256 = rs->getString(2).asStdString();
      c.version = rs->getInt64(3);
      c.password_kdf = rs->getString(4).asStdString();
      c.hmac_secret_sealed = rs->getString(5).asStdString();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no credential for this listener");
  return c;
}

absl::Status MySqlCredentialStore::Delete(const std::string& listener_uuid) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "DELETE FROM credentials WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::map<std::string, std::string>>
MySqlCredentialStore::ListSealed() {
  std::map<std::string, std::string> sealed;
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SELECT listener_uuid, hmac_secret_sealed FROM credentials"
        " WHERE hmac_secret_sealed <> ''"));
    while (rs->next()) {
      sealed[rs->getString(1).asStdString()] = rs->getString(2).asStdString();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return sealed;
}

absl::StatusOr<bool> MySqlCredentialStore::ReplaceSealed(
    const std::string& listener_uuid, const std::string& expected,
    const std::string& sealed) {
  bool replaced = false;
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "UPDATE credentials SET hmac_secret_sealed = ?"
        " WHERE listener_uuid = ? AND hmac_secret_sealed = ?"));
    std::istringstream sealed_blob(sealed), expected_blob(expected);
    st->setBlob(1, &sealed_blob);
    st->setString(2, listener_uuid);
    st->setBlob(3, &expected_blob);
    replaced = st->executeUpdate() == 1;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return replaced;
}

absl::Status InMemoryCredentialStore::Put(const StoredCredential& credential) {
  absl::MutexLock lock(&mu_);
  credentials_[credential.listener_uuid] = credential;
  return absl::OkStatus();
}

absl::StatusOr<StoredCredential> InMemoryCredentialStore::Get(
    const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(listener_uuid);
  if (it == credentials_.end())
    return absl::NotFoundError("no credential for this listener");
  return it->second;
}

absl::Status InMemoryCredentialStore::Delete(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  credentials_.erase(listener_uuid);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>>
InMemoryCredentialStore::ListSealed() {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::string> sealed;
  for (const auto& [uuid, c] : credentials_) {
    if (!c.hmac_secret_sealed.empty()) sealed[uuid] = c.hmac_secret_sealed;
  }
  return sealed;
}

absl::StatusOr<bool> InMemoryCredentialStore::ReplaceSealed(
    const std::string& listener_uuid, const std::string& expected,
    const std::string& sealed) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(listener_uuid);
  if (it == credentials_.end() || it->second.hmac_secret_sealed != expected) {
    return false;
  }
  it->second.hmac_secret_sealed = sealed;
  return true;
}

}  // namespace sluice
