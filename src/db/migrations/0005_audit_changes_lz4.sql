-- roster 0005: the audit trail of a large apply is one big JSON value; lz4 compresses it several times faster than
-- the default pglz, which makes the audit a small part of an apply. Servers built without lz4 keep pglz.
do $$
begin
  alter table audit_applies alter column changes set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  null;
end $$;
