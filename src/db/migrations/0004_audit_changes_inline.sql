-- roster 0004: an apply's changes are kept as one JSON array on its audit row (position order), which is what
-- makes writing the audit trail of a hundred thousand changes cheap. `json` (text) rather than `jsonb`: it is
-- written once and read rarely, and storing it costs a quarter of the time. Earlier rows are carried over.
alter table audit_applies add column changes json not null default '[]'::json;

update audit_applies a
   set changes = c.changes
  from (select apply_id,
               json_agg(json_build_object('type', type, 'action', action, 'key', key, 'fields', fields) order by position) as changes
          from audit_changes group by apply_id) c
 where c.apply_id = a.id;

drop table audit_changes;

-- A cheap "has anything changed" question per organization: the latest change time of its users.
create index users_organization_updated_at on users (organization_id, updated_at);
