namespace ComputeGrid.Domain.Tests;

public class QuantityTests
{
    [Theory]
    [InlineData(0.0000162, "0.0000162")]
    [InlineData(1.6234, "1.62")]
    [InlineData(16234, "16200")]
    [InlineData(999.6, "1000")]
    [InlineData(0.9996, "1.00")]
    [InlineData(-0.0123456, "-0.0123")]
    [InlineData(0, "0")]
    public void A_number_has_three_significant_digits_in_plain_notation(double value, string text) =>
        Assert.Equal(text, Quantity.Number(value));

    [Theory]
    [InlineData(0.0000162, "16.2 mgCO2")]
    [InlineData(0.0162, "16.2 gCO2")]
    [InlineData(16.2, "16.2 kgCO2")]
    [InlineData(16200, "16.2 tCO2")]
    public void Carbon_takes_the_unit_that_keeps_the_number_readable(double kg, string text) =>
        Assert.Equal(text, Quantity.Carbon(kg));

    [Theory]
    [InlineData(0.5, "500 Wh")]
    [InlineData(2.5, "2.50 kWh")]
    [InlineData(2500, "2.50 MWh")]
    public void Energy_takes_the_unit_that_keeps_the_number_readable(double kwh, string text) =>
        Assert.Equal(text, Quantity.Energy(kwh));

    [Fact]
    public void Numbers_read_the_same_in_every_culture()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("1.62 CNY", Quantity.Cost(1.6234));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }
}
