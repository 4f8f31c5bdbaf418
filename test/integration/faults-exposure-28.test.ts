// Fault suite, exposure on Docker 28 (routed mode): a bridge named "+", an IPv4-only binding, a reboot after a
// killed enable. The scenarios are in test/helpers/exposure.ts; each reachable unpublished port is an exposure.
import test from 'ava';
import { exposureScenarios } from '../helpers/exposure';

exposureScenarios(test, '28', 'test/integration/faults-exposure-28.test.ts');
