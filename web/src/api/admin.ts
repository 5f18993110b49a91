import { graphql } from '../gql';

export const AdminThemesQuery = graphql(`
  query AdminThemes($townshipId: ID!, $month: String!) {
    monthThemes(townshipId: $townshipId, month: $month) { id title description suggestedPoints branchId }
    themePublicationStatus(townshipId: $townshipId, month: $month) {
      branchesPublished branchesTotal
      branches { branchId branchName publishedAt }
    }
  }
`);

export const AddThemeMutation = graphql(`
  mutation AddTheme($input: AddThemeInput!) {
    addTheme(input: $input) { id }
  }
`);

export const RemoveThemeMutation = graphql(`
  mutation RemoveTheme($id: ID!) {
    removeTheme(id: $id)
  }
`);

export const PublishThemesMutation = graphql(`
  mutation PublishThemes($townshipId: ID!, $month: String!) {
    publishThemes(townshipId: $townshipId, month: $month) { branchesPublished branchesTotal }
  }
`);

/** What a reconciliation found: the settlement's stored report and a check run now show the same. */
export const ReconciliationFragment = graphql(`
  fragment Reconciliation on ReconciliationReportModel {
    ok checkedAt accountsChecked entriesChecked postingsChecked storedTotal postedTotal
    mismatchedAccounts { accountId kind stored computed }
    unbalancedEntries { entryId postings total }
    sealedMonths { month entryCount seal recomputedSeal ok problem }
    entryProblems { entryId month problem description }
  }
`);

export const SettlementQuery = graphql(`
  query Settlement($townshipId: ID!, $month: String!) {
    settlement(townshipId: $townshipId, month: $month) {
      status run branchesDone branchesTotal error errorCode finishedAt
      seal { seal previousSeal merkleRoot entryCount sealedAt }
      trialBalance { total lines { kind accounts closing } }
      reconciliation { ...Reconciliation }
      branches { branchId branchName pointsMinted pointsSpent net activitiesHeld distinctVolunteers distinctCourseTakers }
    }
  }
`);

export const ReconciliationQuery = graphql(`
  query Reconciliation($townshipId: ID!) {
    reconciliation(townshipId: $townshipId) { ...Reconciliation }
  }
`);

export const StartSettlementMutation = graphql(`
  mutation StartSettlement($townshipId: ID!, $month: String!) {
    startSettlement(townshipId: $townshipId, month: $month) { status }
  }
`);

export const FiguresCsvQuery = graphql(`
  query FiguresCsv($townshipId: ID!, $month: String!) {
    branchFiguresCsv(townshipId: $townshipId, month: $month)
  }
`);

export const BranchesQuery = graphql(`
  query Branches($townshipId: ID!, $after: String) {
    branches(townshipId: $townshipId, first: 100, after: $after) {
      edges { node { id name kind } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

export const CreateBranchMutation = graphql(`
  mutation CreateBranch($input: CreateBranchInput!) {
    createBranch(input: $input) { id name }
  }
`);

export const BranchStaffQuery = graphql(`
  query BranchStaff($branchId: ID!) {
    branchStaff(branchId: $branchId) { personId name mobile role }
  }
`);

export const AppointManagerMutation = graphql(`
  mutation AppointManager($input: AppointBranchManagerInput!) {
    appointBranchManager(input: $input) { personId name }
  }
`);

export const RevokeManagerMutation = graphql(`
  mutation RevokeManager($input: RevokeRoleInput!) {
    revokeBranchManager(input: $input)
  }
`);

export const FindResidentsQuery = graphql(`
  query FindResidents($branchId: ID!, $text: String) {
    branchResidents(branchId: $branchId, first: 20, search: { text: $text }) {
      edges { node { id name mobile balance accountId } }
    }
  }
`);

export const ResidentHistoryQuery = graphql(`
  query ResidentHistory($residentId: ID!) {
    residentHistory(residentId: $residentId, first: 50) {
      edges { node { id entryId bookedAt kind amount balanceAfter memo reversedByEntryId reversesEntryId } }
    }
  }
`);

export const PostAdjustmentMutation = graphql(`
  mutation PostAdjustment($input: AdjustmentInput!) {
    postAdjustment(input: $input) { id created }
  }
`);

export const ReverseEntryMutation = graphql(`
  mutation ReverseEntry($input: ReverseEntryInput!) {
    reverseEntry(input: $input) { id created }
  }
`);

export const TownshipPolicyQuery = graphql(`
  query TownshipPolicy($townshipId: ID!) {
    townshipPolicy(townshipId: $townshipId) {
      townshipId minAttendancePercent expiryMode expiryMonth expiryDay expiryNoticeDays expirySetAt nextExpiryDate
      expiryRuns { cutoffDate status residents points finishedAt }
    }
  }
`);

export const UpdateTownshipPolicyMutation = graphql(`
  mutation UpdateTownshipPolicy($input: UpdateTownshipPolicyInput!) {
    updateTownshipPolicy(input: $input) { townshipId minAttendancePercent expiryMode expiryMonth expiryDay expiryNoticeDays nextExpiryDate }
  }
`);
