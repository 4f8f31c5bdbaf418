// Fault suite, exposure on Docker 29 with its nftables firewall backend (routed mode): a bridge named "+", an IPv4-only
// binding, a reboot after a killed enable. The scenarios are in test/helpers/exposure.ts; each reachable unpublished
// port is an exposure.
import test from 'ava';
import { exposureScenarios } from '../helpers/exposure';

exposureScenarios(test, '29', 'test/integration/faults-exposure-29-nftables.test.ts', 'nftables');
