-- roster 0005: cheaper writes at scale.
--
-- The audit trail of a large apply is one big JSON value; lz4 compresses it several times faster than the default
-- pglz. Servers built without lz4 keep pglz.
do $$
begin
  alter table audit_applies alter column changes set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  null;
end $$;

-- Nothing reads users by change time, and indexing it made every update of a user rewrite all five of its indexes
-- (no heap-only updates). Editing 10,000 users is three times faster without it.
drop index if exists users_organization_updated_at;

-- A statement that sets updated_at itself (roster's do) needs no trigger call per row; one that does not (the app,
-- SQL by hand) still gets it stamped.
drop trigger organizations_touch on organizations;
drop trigger companies_touch on companies;
drop trigger roles_touch on roles;
drop trigger users_touch on users;
create trigger organizations_touch before update on organizations for each row
  when (new.updated_at is not distinct from old.updated_at) execute function roster_touch_updated_at();
create trigger companies_touch before update on companies for each row
  when (new.updated_at is not distinct from old.updated_at) execute function roster_touch_updated_at();
create trigger roles_touch before update on roles for each row
  when (new.updated_at is not distinct from old.updated_at) execute function roster_touch_updated_at();
create trigger users_touch before update on users for each row
  when (new.updated_at is not distinct from old.updated_at) execute function roster_touch_updated_at();

-- Room on every page for a new version of its rows: an edit that changes no indexed column (names, deactivation,
-- password) then stays on its page and touches no index (a heap-only update).
alter table users set (fillfactor = 85);
