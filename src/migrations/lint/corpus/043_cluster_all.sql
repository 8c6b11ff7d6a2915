-- expect: cluster
-- why: Bare CLUSTER reclusters every previously clustered table under ACCESS EXCLUSIVE each.
CLUSTER;
