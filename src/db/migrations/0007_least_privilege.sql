-- roster 0007: what the role roster runs as may see and write is narrowed to what roster needs (src/db/grants.ts).
--
-- 1. Whether a user has a password is a column of its own, so that roster (the lockout guard) can know it without
--    being able to read any password hash.
-- 2. The audit trail is written only through roster_record_apply(), owned by the schema's owner: the role roster runs
--    as gets EXECUTE on it and no INSERT on audit_applies. The function stamps the time and the database role that
--    wrote the row itself (`database_role`, the session's login role), so a row cannot be backdated or claim to come
--    from another role; the actor it is given stays what it is: the name roster was told (--actor).
-- 3. An organization's predefined roles are created by the schema's owner (the trigger runs as its definer), so the
--    role roster runs as needs no privilege on roles.predefined at all.
-- 4. The way around the predefined-role guards (0006) is only the schema owner's.
-- Functions that run as their owner, or decide on privileges, have their search_path pinned to this schema (then
-- pg_temp, searched last), so that no object another role creates can stand in for one of roster's.

alter table users add column has_password boolean generated always as (password_hash is not null) stored;

alter table audit_applies add column database_role text;

create function roster_record_apply(
  p_organization_id bigint,
  p_actor text,
  p_git_commit text,
  p_config_hash text,
  p_roster_version text,
  p_summary jsonb,
  p_changes json
) returns bigint language plpgsql security definer as $$
declare
  recorded bigint;
begin
  if p_actor is null or btrim(p_actor) = '' then
    raise exception 'an apply is recorded with the actor who made it';
  end if;
  if p_changes is null or json_typeof(p_changes) <> 'array' then
    raise exception 'an apply is recorded with the JSON array of its changes';
  end if;
  if p_summary is null or jsonb_typeof(p_summary) <> 'object' then
    raise exception 'an apply is recorded with the JSON object of its summary';
  end if;
  insert into audit_applies (organization_id, applied_at, actor, git_commit, config_hash, roster_version, summary, changes, database_role)
  values (p_organization_id, pg_catalog.now(), p_actor, p_git_commit, p_config_hash, p_roster_version, p_summary, p_changes,
          session_user)
  returning id into recorded;
  return recorded;
end $$;

-- Functions are executable by everyone unless revoked; this one only by the roles migrate --grant-to names.
revoke all on function roster_record_apply(bigint, text, text, text, text, jsonb, json) from public;

-- The deliberate way around the predefined-role guards of 0006 (roster.predefined_roles = 'writable') is the schema
-- owner's: a custom setting can be set by any role, so the setting alone would let the role roster runs as strip
-- the admin role's permissions or delete a predefined role.
create or replace function roster_predefined_roles_writable() returns boolean language sql stable as $$
  select coalesce(current_setting('roster.predefined_roles', true), '') = 'writable'
     and pg_has_role(current_user, (select c.relowner from pg_class c where c.oid = 'roles'::regclass), 'usage')
$$;

do $$
begin
  execute format('alter function roster_predefined_roles_writable() set search_path = %I, pg_temp', current_schema());
  execute format('alter function roster_record_apply(bigint, text, text, text, text, jsonb, json) set search_path = %I, pg_temp',
                 current_schema());
  execute format('alter function roster_create_predefined_roles() security definer set search_path = %I, pg_temp',
                 current_schema());
end $$;
