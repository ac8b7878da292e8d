-- 013: the access trail, who read which application (contract section 8: reads write nothing). Owned by the
-- platform's access library (src/access/access_trail.cpp), which writes it in batches off the request path:
-- one multi-row INSERT per flush. Forward-only; never edit once applied. (011 and 012 are taken.)
--
-- No foreign key to applications: the platform does not name business tables, and a read is recorded only
-- after the application was found. No primary key: rows are only appended, queried by application or by
-- age, and deleted by the retention job (--access-trail-retention-days).
CREATE TABLE access_trail (
    read_at         timestamptz NOT NULL,
    client          text NOT NULL,
    application_id  uuid NOT NULL,
    kind            text NOT NULL,  -- the route: status, status_wait, decisions, events
    request_id      text NOT NULL   -- correlates with the request's log lines
);

-- "Who read this application?"
CREATE INDEX access_trail_application ON access_trail (application_id, read_at);
-- The retention job's batches.
CREATE INDEX access_trail_read_at ON access_trail (read_at);
