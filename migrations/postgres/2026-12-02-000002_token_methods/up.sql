-- How each token was obtained (Keystone v3's `methods`): 'password', 'token',
-- 'api_key', 'access_key', or 'cli' for tokens the command line issued. Tokens issued
-- before this version keep NULL, shown as the command line's.
ALTER TABLE tokens ADD COLUMN method TEXT CHECK (method IN ('password', 'token', 'api_key', 'access_key', 'cli'));
