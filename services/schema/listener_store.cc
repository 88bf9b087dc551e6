#include "services/schema/listener_store.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice {
namespace {

v1::Integration ReadIntegration(sql::ResultSet& rs) {
  v1::Integration integration;
  integration.set_uuid(rs.getString(1).asStdString());
  integration.set_name(rs.getString(2).asStdString());
  integration.mutable_create_time()->set_seconds(rs.getInt64(3));
  return integration;
}

}  // namespace

std::vector<std::vector<std::string>> MySqlListenerStore::Migrations() {
  return {{
      "CREATE TABLE IF NOT EXISTS integrations ("
      " uuid CHAR(36) NOT NULL PRIMARY KEY,"
      " name VARCHAR(255) NOT NULL,"
      " create_time BIGINT NOT NULL,"
      " UNIQUE KEY name (name)"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
      "CREATE TABLE IF NOT EXISTS listeners ("
      " uuid CHAR(36) NOT NULL PRIMARY KEY,"
      " integration_uuid CHAR(36) NOT NULL,"
      " name VARCHAR(255) NOT NULL,"
      " data LONGBLOB NOT NULL,"
      " UNIQUE KEY integration_name (integration_uuid, name)"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
  }};
}

absl::Status MySqlListenerStore::InsertIntegration(
    const v1::Integration& integration) {
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "INSERT INTO integrations (uuid, name, create_time) VALUES (?, ?, ?)"));
    st->setString(1, integration.uuid());
    st->setString(2, integration.name());
    st->setInt64(3, integration.create_time().seconds());
    st->executeUpdate();
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat(
        "an integration named \"", integration.name(), "\" already exists"));
  }
  return status;
}

absl::StatusOr<std::vector<v1::Integration>>
MySqlListenerStore::ListIntegrations() {
  std::vector<v1::Integration> out;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("SELECT uuid, name, create_time FROM integrations "
                             "ORDER BY create_time, name"));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next()) out.push_back(ReadIntegration(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Integration> MySqlListenerStore::GetIntegration(
    const std::string& uuid) {
  std::optional<v1::Integration> found;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT uuid, name, create_time FROM integrations WHERE uuid = ?"));
    st->setString(1, uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) found = ReadIntegration(*rs);
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError("integration not found");
  return *found;
}

absl::Status MySqlListenerStore::DeleteIntegration(const std::string& uuid) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("DELETE FROM integrations WHERE uuid = ?"));
    st->setString(1, uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MySqlListenerStore::InsertListener(const v1::Listener& listener) {
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("INSERT INTO listeners (uuid, integration_uuid, "
                             "name, data) VALUES (?, ?, ?, ?)"));
    std::string blob = listener.SerializeAsString();
    std::istringstream in(blob);
    st->setString(1, listener.uuid());
    st->setString(2, listener.integration_uuid());
    st->setString(3, listener.name());
    st->setBlob(4, &in);
    st->executeUpdate();
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("a listener named \"", listener.name(),
                     "\" already exists in this integration"));
  }
  return status;
}

absl::Status MySqlListenerStore::UpdateListener(const v1::Listener& listener,
                                                const v1::Listener& expected) {
  return pool_->Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "UPDATE listeners SET data = ? WHERE uuid = ? AND data = ?"));
    std::string blob = listener.SerializeAsString();
    std::string before = expected.SerializeAsString();
    std::istringstream in(blob);
    std::istringstream was(before);
    st->setBlob(1, &in);
    st->setString(2, listener.uuid());
    st->setBlob(3, &was);
    if (st->executeUpdate() == 0) {
      return WithErrorCode(
          absl::AbortedError(
              "the listener was changed by another request; read it again "
              "and retry"),
          "conflict");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
MySqlListenerStore::ListListenerRefs() {
  std::vector<std::pair<std::string, std::string>> refs;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT uuid, integration_uuid FROM listeners ORDER BY uuid"));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next()) {
      refs.emplace_back(rs->getString(1).asStdString(),
                        rs->getString(2).asStdString());
    }
    return absl::OkStatus();
  }));
  return refs;
}

absl::StatusOr<v1::Listener> MySqlListenerStore::GetListener(
    const std::string& uuid) {
  std::optional<v1::Listener> found;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("SELECT data FROM listeners WHERE uuid = ?"));
    st->setString(1, uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) {
      v1::Listener listener;
      if (!listener.ParseFromString(rs->getString(1).asStdString())) {
        return absl::DataLossError("stored listener does not parse");
      }
      found = std::move(listener);
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError("listener not found");
  return *found;
}

absl::StatusOr<std::vector<v1::Listener>> MySqlListenerStore::ListListeners(
    const std::string& integration_uuid) {
  std::vector<v1::Listener> out;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT data FROM listeners WHERE integration_uuid = ? ORDER BY name"));
    st->setString(1, integration_uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next()) {
      v1::Listener listener;
      if (!listener.ParseFromString(rs->getString(1).asStdString())) {
        return absl::DataLossError("stored listener does not parse");
      }
      out.push_back(std::move(listener));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MySqlListenerStore::DeleteListener(const std::string& uuid) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("DELETE FROM listeners WHERE uuid = ?"));
    st->setString(1, uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

}  // namespace sluice
