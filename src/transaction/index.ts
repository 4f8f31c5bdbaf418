// The transaction engine's public face: lock, transaction, journal recovery, undo registry and built-in undo kinds.
export { acquireLock, withLock, type Lock, type LockOptions, type LockOwner } from './lock';
export { UndoRegistry, type UndoRecord, type UndoHandler, type FileUndo, type SysctlUndo, type Json } from './registry';
export { Transaction, runTransaction, describePlan, type Step, type Phase, type PlanLine, type TransactionOptions, type TransactionResult } from './transaction';
export { recoverJournal, incompleteRecoveryError, type RecoveryReport } from './recover';
export { InterruptGuard, InterruptedError, lastInterrupt } from './signals';
export { captureFile, captureSysctl, fileUndo, sysctlUndo, newUndoRegistry, writeFileAtomic } from './undo-kinds';
export type { Journal, JournalEntry, JournalStatus } from './journal';
