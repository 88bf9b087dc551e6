#include "common/mysql/mysql_pool.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluice {
namespace {

sql::mysql::MySQL_Driver* Driver() {
  static sql::mysql::MySQL_Driver* driver =
      sql::mysql::get_mysql_driver_instance();
  return driver;
}

// Connector/C++ wants threadInit()/threadEnd() around use in each thread.
struct ThreadGuard {
  ThreadGuard() { Driver()->threadInit(); }
  ~ThreadGuard() { Driver()->threadEnd(); }
};

void EnsureThreadInit() { thread_local ThreadGuard guard; }

// The statement cache of the connection this thread holds, if any.
thread_local StatementCache* current_statements = nullptr;


constexpr int kMaxAttempts = 6;

}  // namespace

bool IsConnectionError(int code) {
  switch (code) {
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return true;
    default:
      return false;
  }
}

bool IsServerRefusal(int code) {
  switch (code) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS
    case 1290:  // ER_OPTION_PREVENTS_STATEMENT (--read-only)
    case 1836:  // ER_READ_ONLY_MODE
    case 1047:  // ER_UNKNOWN_COM_ERROR: a Galera node not ready (WSREP)
      return true;
    default:
      return false;
  }
}

absl::Status StatusFromSqlException(const sql::SQLException& e) {
  // The server's own text can quote row values and names; callers get the
  // error number and a description of its class only.
  int code = e.getErrorCode();
  if (IsConnectionError(code) || code == 0) {
    return absl::UnavailableError(
        absl::StrCat("database unavailable (mysql error ", code, ")"));
  }
  if (IsServerRefusal(code)) {
    return absl::UnavailableError(absl::StrCat(
        "the database refuses work for now (mysql error ", code, ")"));
  }
  switch (code) {
    case 1213:  // ER_LOCK_DEADLOCK
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
      return absl::AbortedError(absl::StrCat(
          "write conflict with a concurrent request (mysql error ", code, ")"));
    case 1050:  // ER_TABLE_EXISTS_ERROR
      return absl::AlreadyExistsError(
          "the table already exists (mysql error 1050)");
    case 1062:  // ER_DUP_ENTRY
      return absl::AlreadyExistsError(
          "two rows of the request have the same key (mysql error 1062)");
    case 1406:  // ER_DATA_TOO_LONG
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    case 1292:  // ER_TRUNCATED_WRONG_VALUE
      return absl::InvalidArgumentError(absl::StrCat(
          "a value does not fit its column (mysql error ", code, ")"));
    default:
      return absl::InternalError(absl::StrCat("mysql error ", code));
  }
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

MySqlPool::MySqlPool(MySqlOptions options) : options_(std::move(options)) {
  for (absl::string_view entry :
       absl::StrSplit(options_.host, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    int port = options_.port;
    size_t colon = entry.rfind(':');
    if (colon != absl::string_view::npos &&
        absl::SimpleAtoi(entry.substr(colon + 1), &port)) {
      entry = entry.substr(0, colon);
    }
    endpoints_.emplace_back(std::string(entry), port);
  }
  if (endpoints_.empty()) endpoints_.emplace_back("127.0.0.1", options_.port);
  Driver();  // initialize the driver before any thread uses it
}

MySqlPool::~MySqlPool() {
  statements_.clear();  // before the connections they belong to
}

StatementCache* MySqlPool::Statements() { return current_statements; }

StatementCache::StatementCache(sql::Connection* owner, size_t capacity,
                               size_t max_parameters)
    : owner_(owner), capacity_(capacity), max_parameters_(max_parameters) {}

StatementCache::~StatementCache() {
  // Closing a statement on a connection that is gone fails; that is fine.
  try {
    lru_.clear();
  } catch (...) {
  }
}

sql::PreparedStatement* StatementCache::Get(sql::Connection& con,
                                            const std::string& sql) {
  // Callers hold `con` for the whole call (MySqlPool's callbacks).
  auto it = index_.find(sql);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return lru_.front().statement.get();
  }
  size_t parameters =
      static_cast<size_t>(std::count(sql.begin(), sql.end(), '?'));
  if (parameters > max_parameters_ / 16) return nullptr;
  std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(sql));
  lru_.push_front(Entry{sql, parameters, std::move(st)});
  index_[sql] = lru_.begin();
  parameters_ += parameters;
  while (lru_.size() > 1 &&
         (index_.size() > capacity_ || parameters_ > max_parameters_)) {
    parameters_ -= lru_.back().parameters;
    index_.erase(lru_.back().sql);
    lru_.pop_back();
  }
  return lru_.front().statement.get();
}

sql::PreparedStatement* PrepareCached(
    sql::Connection& con, const std::string& sql,
    std::unique_ptr<sql::PreparedStatement>* owned) {
  StatementCache* cache = MySqlPool::Statements();
  if (cache != nullptr && cache->owner() == &con) {
    if (sql::PreparedStatement* st = cache->Get(con, sql)) return st;
  }
  owned->reset(con.prepareStatement(sql));
  return owned->get();
}

std::unique_ptr<sql::Connection> MySqlPool::Connect(bool with_schema) {
  const size_t first = preferred_.load();
  for (size_t i = 0;; ++i) {
    const size_t endpoint = (first + i) % endpoints_.size();
    try {
      std::unique_ptr<sql::Connection> con = ConnectTo(endpoint, with_schema);
      preferred_.store(endpoint);
      return con;
    } catch (const sql::SQLException& e) {
      // A node that is gone, or up but not part of the cluster yet (it
      // refuses queries): the next one. The last failure is the answer.
      const int code = e.getErrorCode();
      if (i + 1 >= endpoints_.size() ||
          !(IsConnectionError(code) || IsServerRefusal(code))) {
        throw;
      }
    }
  }
}

std::unique_ptr<sql::Connection> MySqlPool::ConnectTo(size_t endpoint,
                                                      bool with_schema) {
  EnsureThreadInit();
  const auto& [host, port] = endpoints_[endpoint];
  sql::ConnectOptionsMap opts;
  opts["hostName"] = sql::SQLString(absl::StrCat("tcp://", host, ":", port));
  opts["userName"] = sql::SQLString(options_.user);
  opts["password"] = sql::SQLString(options_.password);
  opts["OPT_CONNECT_TIMEOUT"] = options_.connect_timeout_seconds;
  opts["OPT_READ_TIMEOUT"] = options_.read_timeout_seconds;
  opts["OPT_WRITE_TIMEOUT"] = options_.read_timeout_seconds;
  opts["OPT_RECONNECT"] = false;
  opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  opts["characterSetResults"] = sql::SQLString("utf8mb4");
  if (with_schema) opts["schema"] = sql::SQLString(options_.database);
  std::unique_ptr<sql::Connection> con(Driver()->connect(opts));
  std::unique_ptr<sql::Statement> st(con->createStatement());
  st->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  st->execute(
      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
  st->execute("SET SESSION time_zone = '+00:00'");
  if (endpoints_.size() > 1) {
    // A cluster node that is not synced accepts SET but refuses queries
    // (1047): find that out here, where the next node can be tried.
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT 1"));
  }
  return con;
}

absl::Status MySqlPool::EnsureDatabase() {
  try {
    auto con = Connect(/*with_schema=*/false);
    std::unique_ptr<sql::Statement> st(con->createStatement());
    st->execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS ",
                             QuoteIdentifier(options_.database),
                             " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    return StatusFromSqlException(e);
  }
}

absl::Status MySqlPool::WithConnection(bool transaction, const Fn& fn,
                                       Deadline deadline) {
  EnsureThreadInit();
  auto past_deadline = [deadline](std::chrono::milliseconds margin) {
    return deadline != kNoDeadline &&
           std::chrono::system_clock::now() + margin >= deadline;
  };
  // A commit is only started with this much time left, so that it is done
  // before the caller gives up and reports the request as not written.
  constexpr std::chrono::milliseconds kCommitMargin(1000);
  absl::Status status;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    std::unique_ptr<sql::Connection> con;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto free = [&] {
        return !idle_.empty() || open_ < options_.max_connections;
      };
      if (deadline == kNoDeadline) {
        released_.wait(lock, free);
      } else if (!released_.wait_until(lock, deadline, free)) {
        return absl::UnavailableError(
            "no database connection became free before the deadline");
      }
      if (!idle_.empty()) {
        con = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    const bool reused = con != nullptr;
    // Cleared on every way out of this attempt.
    struct ClearStatements {
      ~ClearStatements() { current_statements = nullptr; }
    } clear_statements;
    bool keep = true;
    bool lost = false;
    bool commit_sent = false;
    try {
      if (!con) con = Connect(/*with_schema=*/true);
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto& cache = statements_[con.get()];
        if (!cache) cache = std::make_unique<StatementCache>(
              con.get(), options_.max_statements,
              options_.max_statement_parameters);
        current_statements = cache.get();
      }
      // Transactions are explicit statements: Connector/C++ 1.1's commit()
      // can return as if it succeeded when the server dies under it
      // (measured: acknowledged writes lost to a SIGKILL of MariaDB), while
      // a failed COMMIT statement always throws.
      std::unique_ptr<sql::Statement> control;
      if (transaction) {
        control.reset(con->createStatement());
        control->execute("START TRANSACTION");
      }
      status = fn(*con);
      if (transaction) {
        if (status.ok() && past_deadline(kCommitMargin)) {
          // The caller has given up (and answered 503): nothing may be
          // committed now.
          status = absl::UnavailableError(
              "the request's deadline passed before commit; nothing was "
              "written");
        }
        commit_sent = status.ok();
        control->execute(status.ok() ? "COMMIT" : "ROLLBACK");
      }
    } catch (const sql::SQLException& e) {
      status = StatusFromSqlException(e);
      // 1047: a cluster node that left the cluster (or is not synced yet)
      // refuses every connection it holds, so the pooled ones are as good
      // as lost: all are dropped and the work retried once on a fresh one,
      // which Connect finds on a node that is ready.
      if (IsConnectionError(e.getErrorCode()) || e.getErrorCode() == 0 ||
          e.getErrorCode() == 1047 || !con) {
        keep = false;
        lost = true;
      } else if (IsServerRefusal(e.getErrorCode())) {
        keep = false;
      } else if (transaction) {
        try {
          std::unique_ptr<sql::Statement> undo(con->createStatement());
          undo->execute("ROLLBACK");
        } catch (const sql::SQLException&) {
          keep = false;
        }
      }
    } catch (const std::exception& e) {
      status = absl::InternalError(
          absl::StrCat("database client error: ", e.what()));
      keep = false;
    }
    current_statements = nullptr;
    std::vector<std::unique_ptr<sql::Connection>> stale;
    // Statements of connections about to close, closed before them.
    std::vector<std::unique_ptr<StatementCache>> closing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (keep && con) {
        idle_.push_back(std::move(con));
      } else {
        --open_;
      }
      if (lost) {
        // A lost connection means the server went away (restart, failover):
        // the idle ones are stale too.
        open_ -= static_cast<int>(idle_.size());
        stale.swap(idle_);
      }
      auto take = [&](sql::Connection* c) {
        auto it = statements_.find(c);
        if (it == statements_.end()) return;
        closing.push_back(std::move(it->second));
        statements_.erase(it);
      };
      if (con) take(con.get());
      for (auto& c : stale) take(c.get());
    }
    released_.notify_all();
    closing.clear();
    if (con && !keep) con.reset();
    stale.clear();
    if (commit_sent && !status.ok() &&
        status.code() != absl::StatusCode::kAborted) {
      // The COMMIT went out and its answer did not come back: it may have
      // been applied. Running the work again could misreport it. (A
      // conflict reported at commit, as Galera does, rolled back: retried.)
      return absl::UnavailableError(
          absl::StrCat("the database did not confirm the commit (",
                       status.message(), "); its outcome is unknown"));
    }
    // A pooled connection found dead is retried once on a fresh one: the
    // transaction did not commit, and the server may well be back.
    if (lost && reused && attempt == 1 &&
        !past_deadline(std::chrono::milliseconds(0))) {
      continue;
    }
    if (status.code() != absl::StatusCode::kAborted) break;
    if (attempt == kMaxAttempts ||
        past_deadline(std::chrono::milliseconds(0))) {
      // Still conflicting after every retry: busy, not the client's fault.
      return absl::UnavailableError(
          absl::StrCat("the database is busy with conflicting writes (",
                       status.message(), "); retry"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2 << attempt));
  }
  return status;
}

absl::Status MySqlPool::Transaction(const Fn& fn, Deadline deadline) {
  return WithConnection(true, fn, deadline);
}

absl::Status MySqlPool::Run(const Fn& fn, Deadline deadline) {
  return WithConnection(false, fn, deadline);
}

absl::Status MySqlPool::Ping() {
  // Bounded: a pool taken up by stuck work must not hang readiness.
  return Run(
      [](sql::Connection& con) {
        std::unique_ptr<sql::Statement> st(con.createStatement());
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT 1"));
        return absl::OkStatus();
      },
      std::chrono::system_clock::now() + std::chrono::seconds(2));
}

namespace {

// Who holds a lease: unique per call of RunExclusive.
std::string LeaseHolder() {
  static std::atomic<int> next{0};
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, ":", getpid(), ":", next++, ":",
                      absl::ToUnixMicros(absl::Now()));
}

// Takes (or renews) the lease `name` for `holder` unless another holder's
// lease has not run out. One statement, so it is atomic on one server and
// certified as one write set on a cluster (a race between two nodes fails
// one of them with a deadlock at commit: the caller tries again).
bool TakeLease(sql::Connection& con, const std::string& name,
               const std::string& holder, std::chrono::seconds lease) {
  std::unique_ptr<sql::PreparedStatement> take(con.prepareStatement(
      "INSERT INTO sluice_leases (name, holder, expires) VALUES (?, ?,"
      " UTC_TIMESTAMP(6) + INTERVAL ? SECOND) ON DUPLICATE KEY UPDATE"
      " holder = IF(expires < UTC_TIMESTAMP(6) OR holder = VALUES(holder),"
      " VALUES(holder), holder),"
      " expires = IF(holder = VALUES(holder), VALUES(expires), expires)"));
  take->setString(1, name);
  take->setString(2, holder);
  take->setInt(3, static_cast<int>(lease.count()));
  take->executeUpdate();
  // The assignments above run left to right (MariaDB's default, which the
  // pool's sql_mode keeps): `expires` sees the new holder. Checking the
  // expiry too keeps the answer right whatever the order.
  std::unique_ptr<sql::PreparedStatement> check(con.prepareStatement(
      "SELECT holder FROM sluice_leases WHERE name = ?"
      " AND expires > UTC_TIMESTAMP(6)"));
  check->setString(1, name);
  std::unique_ptr<sql::ResultSet> rs(check->executeQuery());
  return rs->next() && rs->getString(1) == holder;
}

void ReleaseLease(sql::Connection& con, const std::string& name,
                  const std::string& holder) {
  try {
    std::unique_ptr<sql::PreparedStatement> release(con.prepareStatement(
        "DELETE FROM sluice_leases WHERE name = ? AND holder = ?"));
    release->setString(1, name);
    release->setString(2, holder);
    release->executeUpdate();
  } catch (const sql::SQLException&) {
    // The lease runs out by itself.
  }
}

}  // namespace

absl::Status MySqlPool::RunExclusive(std::string_view lease_name,
                                     std::chrono::seconds wait, const Fn& fn,
                                     std::chrono::seconds lease) {
  const std::string name(lease_name);
  const std::string holder = LeaseHolder();
  return Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    st->execute(
        "CREATE TABLE IF NOT EXISTS sluice_leases ("
        " name VARCHAR(128) NOT NULL PRIMARY KEY,"
        " holder VARCHAR(255) NOT NULL,"
        " expires DATETIME(6) NOT NULL)");
    const auto give_up = std::chrono::steady_clock::now() + wait;
    while (true) {
      try {
        if (TakeLease(con, name, holder, lease)) break;
      } catch (const sql::SQLException& e) {
        // Two nodes raced for the row: one lost at commit.
        if (e.getErrorCode() != 1213 && e.getErrorCode() != 1205) throw;
      }
      if (std::chrono::steady_clock::now() >= give_up) {
        return absl::UnavailableError(
            absl::StrCat("the lease ", name, " is held by another replica"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // Renewed from another connection while `fn` runs, so work that takes
    // longer than a lease keeps it; a holder that dies stops renewing. Each
    // renewal waits at most a few seconds for a connection, so a pool that
    // has none to spare cannot keep `fn` from finishing.
    std::mutex mu;
    std::condition_variable stop_renewing;
    bool done = false;
    std::thread renewer([&] {
      std::unique_lock<std::mutex> lock(mu);
      while (!stop_renewing.wait_for(lock, lease / 4.0,
                                     [&] { return done; })) {
        lock.unlock();
        (void)Run(
            [&](sql::Connection& renewal) {
              TakeLease(renewal, name, holder, lease);
              return absl::OkStatus();
            },
            std::chrono::system_clock::now() + std::chrono::seconds(5));
        lock.lock();
      }
    });
    auto finish = [&] {
      {
        std::lock_guard<std::mutex> lock(mu);
        done = true;
      }
      stop_renewing.notify_all();
      renewer.join();
      ReleaseLease(con, name, holder);
    };
    absl::Status status;
    try {
      status = fn(con);
    } catch (...) {
      finish();
      throw;
    }
    finish();
    return status;
  });
}

absl::Status MySqlPool::Migrate(
    std::string_view component,
    const std::vector<std::vector<std::string>>& versions) {
  std::string name(component);
  return RunExclusive(
      absl::StrCat("migrate:", name), std::chrono::seconds(30),
      [&](sql::Connection& con) -> absl::Status {
        std::unique_ptr<sql::Statement> st(con.createStatement());
        st->execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component VARCHAR(64) NOT NULL PRIMARY KEY,"
            " version INT NOT NULL,"
            " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))");
        int current = 0;
        {
          std::unique_ptr<sql::PreparedStatement> q(con.prepareStatement(
              "SELECT version FROM schema_migrations WHERE component = ?"));
          q->setString(1, name);
          std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
          if (rs->next()) current = rs->getInt(1);
        }
        for (size_t v = current; v < versions.size(); ++v) {
          for (const std::string& statement : versions[v]) {
            st->execute(statement);
          }
          std::unique_ptr<sql::PreparedStatement> up(con.prepareStatement(
              "INSERT INTO schema_migrations (component, version) VALUES "
              "(?, ?) ON DUPLICATE KEY UPDATE version = VALUES(version), "
              "applied_at = CURRENT_TIMESTAMP(6)"));
          up->setString(1, name);
          up->setInt(2, static_cast<int>(v + 1));
          up->executeUpdate();
        }
        return absl::OkStatus();
      });
}

}  // namespace sluice
