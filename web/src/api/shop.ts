import { graphql } from '../gql';

// ---- residents ---------------------------------------------------------------------

export const ResidentShopQuery = graphql(`
  query ResidentShop($branchId: ID!) {
    me { balance }
    shop(branchId: $branchId) { pickupWeekdays opensAt closesAt place note pickupDays }
    shopItems(branchId: $branchId, first: 100) {
      edges { node { id name description unit pricePoints stock } }
    }
  }
`);

export const RedeemMutation = graphql(`
  mutation Redeem($input: RedeemShopItemInput!) {
    redeemShopItem(input: $input) { id code itemName quantity totalPoints pickupDeadline }
  }
`);

export const MyCodesQuery = graphql(`
  query MyCodes($branchId: ID!) {
    shop(branchId: $branchId) { place nextPickupOpensAt nextPickupClosesAt }
    myShopRedemptions(first: 50) {
      edges { node { id code status itemName itemUnit quantity totalPoints redeemedAt pickupDeadline pickedUpAt cancelledAt cancelReason } }
    }
  }
`);

export const CancelRedemptionMutation = graphql(`
  mutation CancelRedemption($input: CancelShopRedemptionInput!) {
    cancelShopRedemption(input: $input) { id status refundEntryId }
  }
`);

// ---- shopkeepers ---------------------------------------------------------------------


export const RedemptionByCodeQuery = graphql(`
  query RedemptionByCode($input: ConfirmPickupInput!) {
    shopRedemptionByCode(input: $input) { id code status itemName itemUnit quantity totalPoints residentName redeemedAt pickupDeadline pickedUpAt }
  }
`);

export const ConfirmPickupMutation = graphql(`
  mutation ConfirmPickup($input: ConfirmPickupInput!) {
    confirmShopPickup(input: $input) { id code status itemName itemUnit quantity residentName pickedUpAt }
  }
`);

export const ShopRedemptionsQuery = graphql(`
  query ShopRedemptions($branchId: ID!, $status: RedemptionStatus) {
    shopRedemptions(branchId: $branchId, status: $status, first: 100) {
      edges { node { id code status itemName itemUnit quantity totalPoints residentName redeemedAt pickupDeadline pickedUpAt } }
    }
  }
`);

// ---- managers ------------------------------------------------------------------------------

export const ManagerShopQuery = graphql(`
  query ManagerShop($branchId: ID!) {
    shop(branchId: $branchId) { pickupWeekdays opensAt closesAt place note pickupDays }
    shopItems(branchId: $branchId, includeInactive: true, first: 100) {
      edges { node { id name description unit pricePoints stock active } }
    }
    shopStockReceipts(branchId: $branchId, first: 30) {
      edges { node { id itemName source donorKind donorName quantity unitPoints note receivedAt } }
    }
    branchStaff(branchId: $branchId) { personId name mobile role }
    overdue: shopRedemptions(branchId: $branchId, overdue: true, first: 100) {
      edges { node { id code itemName itemUnit quantity totalPoints residentName redeemedAt pickupDeadline } }
    }
  }
`);

export const UpdateShopMutation = graphql(`
  mutation UpdateShop($input: UpdateShopInput!) { updateShop(input: $input) { pickupWeekdays opensAt closesAt place note pickupDays } }
`);

export const CreateShopItemMutation = graphql(`
  mutation CreateShopItem($input: CreateShopItemInput!) { createShopItem(input: $input) { id name } }
`);

export const UpdateShopItemMutation = graphql(`
  mutation UpdateShopItem($input: UpdateShopItemInput!) { updateShopItem(input: $input) { id active pricePoints } }
`);

export const RecordReceiptMutation = graphql(`
  mutation RecordReceipt($input: RecordStockReceiptInput!) { recordStockReceipt(input: $input) { id quantity itemName } }
`);

export const AppointShopkeeperMutation = graphql(`
  mutation AppointShopkeeper($input: AppointShopkeeperInput!) { appointShopkeeper(input: $input) { personId name role } }
`);

