using ComputeGrid.Domain.Loans;

namespace ComputeGrid.Domain.Tests;

public class LoanRecordsTests
{
    private static readonly DateTimeOffset Since = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan OfferTtl = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(LoanState.Active, LoanState.Active, LoanRecordVerdict.Keep, LoanState.Active)]
    [InlineData(LoanState.Offered, LoanState.Active, LoanRecordVerdict.Refresh, LoanState.Active)]
    [InlineData(LoanState.Active, LoanState.Recalling, LoanRecordVerdict.Refresh, LoanState.Recalling)]
    [InlineData(LoanState.Active, LoanState.Draining, LoanRecordVerdict.Refresh, LoanState.Draining)]
    [InlineData(LoanState.Draining, LoanState.Active, LoanRecordVerdict.Keep, LoanState.Draining)]
    [InlineData(LoanState.Draining, LoanState.Returned, LoanRecordVerdict.Forget, LoanState.Returned)]
    [InlineData(LoanState.Active, LoanState.Expired, LoanRecordVerdict.Forget, LoanState.Expired)]
    [InlineData(LoanState.Offered, LoanState.Declined, LoanRecordVerdict.Forget, LoanState.Declined)]
    public void A_regions_record_follows_the_loan_forward_and_never_back(LoanState cached, LoanState truth, LoanRecordVerdict verdict, LoanState state)
    {
        Assert.Equal((verdict, state), LoanRecords.Judge(cached, truth, Since, Since.AddSeconds(1), OfferTtl));
    }

    [Fact]
    public void An_offer_whose_loan_never_opened_is_forgotten_once_it_could_no_longer_be_accepted()
    {
        Assert.Equal(LoanRecordVerdict.Keep, LoanRecords.Judge(LoanState.Offered, null, Since, Since + OfferTtl, OfferTtl).Verdict);
        Assert.Equal(LoanRecordVerdict.Forget, LoanRecords.Judge(LoanState.Offered, null, Since, Since + OfferTtl + TimeSpan.FromSeconds(1), OfferTtl).Verdict);
    }

    [Fact]
    public void A_record_past_its_offer_whose_loan_is_unknown_is_forgotten()
    {
        Assert.Equal(LoanRecordVerdict.Forget, LoanRecords.Judge(LoanState.Active, null, Since, Since, OfferTtl).Verdict);
    }
}
